# Device check (needs the real TensorBoard, present on the lent GPU machine):
#   python3 test/device/check_sweep_hparams.py <problem logs>/sweeps/NAME
# Asks a real TensorBoard for the HParams view of a sweep's root: the
# experiment (each axis with its domain, the metric) and one session group
# per finished point with its valid_metric.
import json, subprocess, sys, time, urllib.request
import tensorboard

root = sys.argv[1]
print("tensorboard", tensorboard.__version__)
server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", root, "--port", "6124", "--bind_all"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def post(path, body):
    request = urllib.request.Request("http://localhost:6124" + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request).read())


try:
    for _ in range(60):
        try:
            urllib.request.urlopen("http://localhost:6124/data/plugins_listing", timeout=2).read()
            break
        except Exception:
            time.sleep(0.5)
    experiment = post("/data/plugin/hparams/experiment", {"experimentName": ""})
    for info in experiment.get("hparamInfos", []):
        print("hparam", info["name"], info.get("type"), info.get("domainDiscrete"))
    print("metrics", [m["name"]["tag"] for m in experiment.get("metricInfos", [])])
    groups = post("/data/plugin/hparams/session_groups",
                  {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                                             "STATUS_RUNNING"],
                   "colParams": [], "startIndex": 0, "sliceSize": 100})
    for group in groups.get("sessionGroups", []):
        print("session", group["name"], group["hparams"], group.get("metricValues"), group["sessions"][0].get("status"))
    assert experiment.get("hparamInfos") and all("domainDiscrete" in i for i in experiment["hparamInfos"])
    assert groups.get("sessionGroups")
finally:
    server.kill()
print("SWEEP HPARAMS CHECK OK")
