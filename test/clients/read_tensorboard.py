"""Reads a folder of QuantLab event files with the real TensorBoard and prints
what it understood as JSON, so that QuantLab's C++ tests check the format
against TensorBoard itself rather than against our own reader.

    python read_tensorboard.py LOGDIR

Every folder below LOGDIR holding event files is a run (TensorBoard's own
EventMultiplexer decides which); for each run: its scalars and histograms
through the event accumulator, and the HParams plugin's records parsed by the
plugin's own metadata functions (experiment with hyper-parameter domains and
metrics, session start with its values and group, session end with its status).
"""
import json
import sys

from tensorboard.backend.event_processing import event_accumulator, plugin_event_multiplexer
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata as hp


def value_of(value):
    kind = value.WhichOneof("kind")
    return {"number_value": value.number_value, "string_value": value.string_value,
            "bool_value": value.bool_value}.get(kind)


def hparams_of(accumulator_content):
    records = {}
    if hp.EXPERIMENT_TAG in accumulator_content:
        experiment = hp.parse_experiment_plugin_data(accumulator_content[hp.EXPERIMENT_TAG])
        infos = []
        for info in experiment.hparam_infos:
            entry = {"name": info.name, "type": api_pb2.DataType.Name(info.type)}
            if info.HasField("domain_discrete"):
                entry["domain_discrete"] = [value_of(v) for v in info.domain_discrete.values]
            if info.HasField("domain_interval"):
                entry["domain_interval"] = [info.domain_interval.min_value, info.domain_interval.max_value]
            infos.append(entry)
        records["experiment"] = {"hparams": infos, "metrics": [m.name.tag for m in experiment.metric_infos]}
    if hp.SESSION_START_INFO_TAG in accumulator_content:
        start = hp.parse_session_start_info_plugin_data(accumulator_content[hp.SESSION_START_INFO_TAG])
        records["session_start"] = {"group_name": start.group_name,
                                    "hparams": {k: value_of(v) for k, v in start.hparams.items()}}
    if hp.SESSION_END_INFO_TAG in accumulator_content:
        end = hp.parse_session_end_info_plugin_data(accumulator_content[hp.SESSION_END_INFO_TAG])
        records["session_end"] = {"status": api_pb2.Status.Name(end.status)}
    return records


def main(logdir):
    guidance = {event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.TENSORS: 0}
    multiplexer = plugin_event_multiplexer.EventMultiplexer(size_guidance=guidance)
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    hparams_content = multiplexer.PluginRunToTagToContent(hp.PLUGIN_NAME)
    run_paths = multiplexer.RunPaths()
    runs = {}
    for run in sorted(run_paths):
        # The plugin multiplexer turns scalars and histograms into tensors;
        # the classic accumulator reads them as their own kinds.
        accumulator = event_accumulator.EventAccumulator(run_paths[run], size_guidance=guidance)
        accumulator.Reload()
        tags = accumulator.Tags()
        runs[run] = {
            "scalars": {tag: [[e.step, e.value] for e in accumulator.Scalars(tag)] for tag in tags["scalars"]},
            "histograms": {tag: [{"step": e.step, "num": e.histogram_value.num, "min": e.histogram_value.min,
                                  "max": e.histogram_value.max, "buckets": len(e.histogram_value.bucket)}
                                 for e in accumulator.Histograms(tag)] for tag in tags["histograms"]},
            "hparams": hparams_of(hparams_content.get(run, {})),
        }
    json.dump({"runs": runs}, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python read_tensorboard.py LOGDIR\n")
        sys.exit(2)
    main(sys.argv[1])
