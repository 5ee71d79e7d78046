# Device check (needs the real TensorBoard, present on the lent GPU machine):
#   python3 test/device/check_tensorboard.py <foldK/stats folder of an experiment>
# Reads QuantLab's event files with the real TensorBoard: scalars, histograms, hparams.
import glob, sys
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import metadata as hp_metadata
import tensorboard
print("tensorboard", tensorboard.__version__)
run = sys.argv[1]
ea = event_accumulator.EventAccumulator(run, size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
ea.Reload()
tags = ea.Tags()
print("scalar tags:", sorted(tags["scalars"]))
for tag in ["train_loss", "train_metric", "valid_loss", "valid_metric", "learning_rate"]:
    print(tag, [(e.step, round(e.value, 5)) for e in ea.Scalars(tag)])
print("histogram tags:", len(tags["histograms"]), sorted(tags["histograms"])[:3])
h = ea.Histograms(sorted(tags["histograms"])[0])[0]
print("first histogram:", h.step, h.histogram_value.num, h.histogram_value.min, h.histogram_value.max, len(h.histogram_value.bucket))
# hparams: session start/end live in summary metadata
from tensorboard.backend.event_processing import plugin_event_multiplexer
mux = plugin_event_multiplexer.EventMultiplexer()
mux.AddRunsFromDirectory(run)
mux.Reload()
content = mux.PluginRunToTagToContent(hp_metadata.PLUGIN_NAME)
print("hparams runs/tags:", {r: sorted(t) for r, t in content.items()})
for r, t in content.items():
    if hp_metadata.SESSION_START_INFO_TAG in t:
        ssi = hp_metadata.parse_session_start_info_plugin_data(t[hp_metadata.SESSION_START_INFO_TAG])
        print("session start: group", ssi.group_name, "hparams", len(ssi.hparams), "optimizer.class =", ssi.hparams["training.optimizer.class"].string_value, "n_epochs =", ssi.hparams["experiment.n_epochs"].number_value)
    if hp_metadata.SESSION_END_INFO_TAG in t:
        sei = hp_metadata.parse_session_end_info_plugin_data(t[hp_metadata.SESSION_END_INFO_TAG])
        print("session end: status", sei.status)
# The HParams view itself: ask a running TensorBoard what it lists.
import subprocess, time, json, urllib.request
server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", run, "--port", "6123", "--bind_all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(60):
        try:
            urllib.request.urlopen("http://localhost:6123/data/plugins_listing", timeout=2).read(); break
        except Exception:
            time.sleep(0.5)
    print("plugins active:", {k: v.get("enabled") for k, v in json.loads(urllib.request.urlopen("http://localhost:6123/data/plugins_listing").read()).items() if k in ("scalars", "histograms", "hparams")})
    request = urllib.request.Request("http://localhost:6123/data/plugin/hparams/experiment", data=json.dumps({"experimentName": ""}).encode(), headers={"Content-Type": "application/json"})
    experiment = json.loads(urllib.request.urlopen(request).read())
    print("hparams view: %d hparams, metrics %s" % (len(experiment.get("hparamInfos", [])), [m["name"]["tag"] for m in experiment.get("metricInfos", [])][:6]))
    request = urllib.request.Request("http://localhost:6123/data/plugin/hparams/session_groups", data=json.dumps({"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"], "colParams": [], "startIndex": 0, "sliceSize": 10}).encode(), headers={"Content-Type": "application/json"})
    groups = json.loads(urllib.request.urlopen(request).read())
    print("session groups:", [(g["name"], g["sessions"][0].get("status")) for g in groups.get("sessionGroups", [])])
finally:
    server.kill()
print("TENSORBOARD CHECK OK")
