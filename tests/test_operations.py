"""What template.yaml gives the operator (docs/OPERATIONS.md): the alarms, read from the template and
from its SAM translation (what each watches, that nothing is left unwatched, where they notify),
and the API's access log line (what it holds, and what it must not).

The lists are derived from the template: a new function, dead-letter queue or alarm that no rule
here covers fails a test. What these tests cannot show: CloudWatch evaluating the alarms (moto
stores an alarm's definition, it does not evaluate metric math); tests/test_deploy_rehearsal.py
shows the stack with them creates.
"""

from typing import Any

import pytest

from local_runner import template
from scripts.translate import translated

ACTIONS = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template.load()["Resources"].items() if v["Type"] == kind}


def _alarms() -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in _resources("AWS::CloudWatch::Alarm").items()}


def _dead_letter_queues() -> set[str]:
    """Every queue another queue redrives to, and every event source mapping's failure destination."""
    resources = template.load()["Resources"]
    found = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in resources.values()
        if q["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in q["Properties"]
    }
    for function in _resources("AWS::Serverless::Function").values():
        for event in (function["Properties"].get("Events") or {}).values():
            destination = (event["Properties"].get("DestinationConfig") or {}).get("OnFailure")
            if destination:
                found.add(destination["Destination"]["Fn::GetAtt"][0])
    return found


def _metrics_of(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """An alarm's metrics as {namespace, name, dimensions, stat}, whether one metric or metric math."""
    if "MetricName" in alarm:
        dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        return [{"namespace": alarm["Namespace"], "name": alarm["MetricName"], "dims": dims}]
    found = []
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append({"namespace": metric["Namespace"], "name": metric["MetricName"], "dims": dims})
    return found


def test_every_dead_letter_queue_has_an_alarm_on_a_visible_message() -> None:
    queues = _dead_letter_queues()
    assert queues == {
        "EmailDeadLetterQueue",
        "SessionCleanupDeadLetterQueue",
        "StreamDeadLetterQueue",
        "WebhookEventDeadLetterQueue",
        "WebhookDeliveryDeadLetterQueue",
    }
    watched = {}
    for name, alarm in _alarms().items():
        for metric in _metrics_of(alarm):
            if (metric["namespace"], metric["name"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible"):
                watched[metric["dims"]["QueueName"]["Fn::GetAtt"][0]] = alarm
                assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0, name
                assert alarm["Statistic"] == "Maximum", name
    assert set(watched) == queues


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_is_in_exactly_one_errors_alarm_and_one_throttles_alarm(metric: str) -> None:
    functions = set(_resources("AWS::Serverless::Function"))
    assert len(functions) >= 27
    covered: list[str] = []
    for name, alarm in _alarms().items():
        metrics = [m for m in _metrics_of(alarm) if (m["namespace"], m["name"]) == ("AWS/Lambda", metric)]
        if not metrics:
            continue
        covered += [m["dims"]["FunctionName"]["Ref"] for m in metrics]
        # metric math over at most 10 metrics (CloudWatch's limit), summed: any one of them counts
        [expression] = [q for q in alarm["Metrics"] if "Expression" in q]
        assert expression["Expression"] == "SUM(METRICS())" and expression.get("ReturnData", True), name
        assert len(metrics) <= 10, name
        assert all(q["MetricStat"]["Stat"] == "Sum" for q in alarm["Metrics"] if "MetricStat" in q), name
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0, name
    assert sorted(covered) == sorted(functions), "a function in no alarm, or in two"


def test_the_stream_routers_iterator_age_and_the_apis_5xx_rate_are_watched() -> None:
    alarms = _alarms()
    age = alarms["StreamIteratorAgeAlarm"]
    router = {"FunctionName": {"Ref": "StreamRouterFunction"}}
    assert _metrics_of(age) == [{"namespace": "AWS/Lambda", "name": "IteratorAge", "dims": router}]
    assert age["Statistic"] == "Maximum" and age["Threshold"] == 60000
    api = alarms["ApiServerErrorsAlarm"]
    dims = {"ApiName": {"Fn::Sub": "hellojohn-users-${Stage}"}, "Stage": {"Ref": "Stage"}}
    assert _metrics_of(api) == [
        {"namespace": "AWS/ApiGateway", "name": "5XXError", "dims": dims},
        {"namespace": "AWS/ApiGateway", "name": "Count", "dims": dims},
    ]
    # the dimensions name the API the template makes, on its stage
    assert template.load()["Resources"]["Api"]["Properties"]["Name"] == dims["ApiName"]
    [rate] = [q for q in api["Metrics"] if q.get("ReturnData", True)]
    assert rate["Expression"] == "IF(requests >= 20, errors / requests, 0)" and api["Threshold"] == 0.05


def test_each_alarm_chooses_how_missing_data_counts() -> None:
    """No data means nothing happened (no message, no invocation, no request): never an alarm."""
    for name, alarm in _alarms().items():
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_alarms_notify_the_topic_only_when_the_parameter_is_set() -> None:
    doc = template.load()
    parameter = doc["Parameters"]["AlarmTopicArn"]
    assert parameter["Default"] == ""
    assert doc["Conditions"]["HasAlarmTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    alarms = _alarms()
    assert len(alarms) == 5 + 1 + 1 + 1 + 2 * 5
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == ACTIONS and alarm["OKActions"] == ACTIONS, name
        assert "InsufficientDataActions" not in alarm, name
    # SAM leaves them as they are: CloudFormation resolves the condition
    out = translated()
    for name in alarms:
        assert out["Resources"][name]["Properties"]["AlarmActions"] == ACTIONS


def test_the_functions_metrics_namespace_is_the_one_the_code_defaults_to() -> None:
    from hellojohn.config import Settings

    variables = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == Settings.model_fields["metrics_namespace"].default


# what API Gateway may write of a request: its own context, never the request's headers, query string,
# path or body ($input, $method.request.*, $context.path hold what a caller sent, tokens included)
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "time": "$context.requestTimeEpoch",
    "method": "$context.httpMethod",
    "resource": "$context.resourcePath",  # the route's template, /v1/users/{user_id}: no id
    "status": "$context.status",
    "length": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "wafStatus": "$context.wafResponseCode",
    "error": "$context.error.responseType",
    "traceId": "$context.xrayTraceId",  # the request's X-Ray trace
}


def test_the_access_log_is_one_json_line_of_the_requests_context_and_nothing_it_sent() -> None:
    import json

    api = template.load()["Resources"]["Api"]["Properties"]
    setting = api["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(setting["Format"])
    assert line == ACCESS_LOG_FIELDS
    assert api["TracingEnabled"] is True  # so that traceId names a trace


# -- a stuck stream record (docs/OPERATIONS.md, "A stuck stream record") -----------------------------

OPERATIONS = template.ROOT / "docs" / "OPERATIONS.md"


def _section(title: str) -> str:
    text = OPERATIONS.read_text()
    start = text.index(f"### {title}")
    return text[start : text.index("\n### ", start + 1)]


def test_the_stream_mappings_settings_are_the_ones_the_runbook_states() -> None:
    import math
    import re

    section = _section("A stuck stream record")
    stated = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|$", section, re.MULTILINE))
    [stream] = [
        e["Properties"]
        for f in _resources("AWS::Serverless::Function").values()
        for e in (f["Properties"].get("Events") or {}).values()
        if e["Type"] == "DynamoDB"
    ]
    assert set(stated) == {
        "BatchSize",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
        "FunctionResponseTypes",
        "ParallelizationFactor",
    }
    assert stated["ParallelizationFactor"].startswith("1 ") and "ParallelizationFactor" not in stream
    assert stated["FunctionResponseTypes"] == "ReportBatchItemFailures"
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for name in (
        "BatchSize",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
    ):
        assert str(stream[name]).lower() == stated[name], name
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]
    }
    # the bound the runbook states, from those numbers
    prose = " ".join(section.split())
    invocations = 1 + math.ceil(math.log2(stream["BatchSize"])) + stream["MaximumRetryAttempts"]
    assert f"at most {invocations} invocations" in prose
    assert f"at most {stream['MaximumRecordAgeInSeconds'] // 60} minutes" in prose
    router = template.load()["Resources"]["StreamRouterFunction"]["Properties"]
    timeout = router.get("Timeout", template.load()["Globals"]["Function"]["Timeout"])
    assert f"the router's {timeout}-second timeout" in prose


def test_a_stuck_stream_record_fires_an_alarm_on_the_routers_own_metric() -> None:
    from hellojohn import signals

    globals_env = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    alarm = _alarms()["StreamFailingAlarm"]
    assert _metrics_of(alarm) == [
        {
            "namespace": globals_env["POWERTOOLS_METRICS_NAMESPACE"],
            "name": signals.STREAM_RECORDS_FAILED,
            "dims": {"service": globals_env["POWERTOOLS_SERVICE_NAME"]},  # as the EMF documents have it
        }
    ]
    assert alarm["Statistic"] == "Sum" and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # a record failing for good fails at least once and on each retry: the alarm fires on it
    [router] = [f for f in template.functions() if f.stream]
    assert 2 < alarm["Threshold"] <= router.max_retry_attempts + 1
    section = _section("A stuck stream record")
    assert "`<stack>-stream-failing` first" in section and alarm["AlarmName"] == {
        "Fn::Sub": "${AWS::StackName}-stream-failing"
    }
