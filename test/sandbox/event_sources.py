"""What invokes Lambda functions besides Invoke: SNS, CloudWatch alarms, EventBridge rules, SQS.

Every path checks the function's resource-based policy for the service principal and source
ARN, as AWS does, and hands the event to the asynchronous queue (lambda_async) or, for SQS,
invokes synchronously the way Lambda's poller does.

* SNS: a `lambda` subscription gets SNS's event ({"Records": [{"EventSource": "aws:sns",
  "EventSubscriptionArn", "Sns": {...}}]}) on Publish; the function must allow
  sns.amazonaws.com from the topic. https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
* CloudWatch alarms: a state change (SetAlarmState) runs the new state's actions when actions are
  enabled: an SNS topic gets CloudWatch's notification JSON; a Lambda function gets the direct
  alarm-action event (source aws.cloudwatch, alarmData), and must allow
  lambda.alarms.cloudwatch.amazonaws.com from the alarm, or the action is not taken.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions-Lambda.html
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#Lambda-action-payload
  Alarms do not evaluate metric data here: only SetAlarmState changes state.
* EventBridge: a rule's Lambda targets get the matching event (Input replaces it when set); the
  function must allow events.amazonaws.com from the rule. moto delivers the other targets (SQS...).
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
* SQS event source mappings: a poller receives up to BatchSize messages with the queue's
  visibility timeout, invokes the function synchronously with Lambda's SQS event, deletes the
  batch on success (or all but the batchItemFailures with ReportBatchItemFailures) and leaves it
  to reappear otherwise; moto's receive moves a message to the dead-letter queue after
  maxReceiveCount receives, and holds back a FIFO group while one of its messages is in flight; a FIFO
  deduplication id is remembered for 5 minutes even after its message was deleted, as SQS does.
  https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
from typing import Any

from moto.cloudwatch.models import Alarm as FakeAlarm
from moto.events.models import Rule
from moto.sns.models import Subscription
from moto.sqs.models import Queue

import lambda_async
import sns_policy
from lambda_runtime import find_function, invoke_sync
from shared import LOCK, Settings, arn_parts, resource_policy_allows

REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
                "us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)"}
SQS_POLL_SECONDS = 0.1


def _now_iso(millis: bool = True) -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds" if millis else "seconds").replace("+00:00", "Z")


def invoke_from_service(function_arn: str, principal: str, source_arn: str, event: dict[str, Any]) -> bool:
    """Under LOCK: queue an asynchronous invocation if the function's policy lets the service in."""
    view = find_function(function_arn)
    if view is None:
        logging.warning("%s: no function %s", principal, function_arn)
        return False
    if not resource_policy_allows(view.model, principal, source_arn, arn_parts(source_arn).get("account")):
        logging.warning("%s may not invoke %s from %s (resource policy)", principal, view.name, source_arn)
        return False
    lambda_async.enqueue(view.arn, json.dumps(event).encode(), view.region)
    return True


# ---------------------------------------------------------------- SNS
def install_sns() -> None:
    original = Subscription.publish

    def publish(self: Subscription, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> None:
        if self.protocol != "lambda":
            return original(self, message, message_id, subject, message_attributes, *args, **kwargs)
        matcher = getattr(self, "_filter_policy_matcher", None)
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        region = arn_parts(self.topic.arn)["region"]
        event = {"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": self.arn,
            "Sns": {
                "Type": "Notification", "MessageId": message_id, "TopicArn": self.topic.arn,
                "Subject": subject, "Message": message, "Timestamp": _now_iso(),
                "SignatureVersion": "1", "Signature": "EXAMPLE",
                "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-sandbox.pem",
                "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={self.arn}",
                "MessageAttributes": {k: {"Type": v.get("DataType", v.get("Type")), "Value": v.get("StringValue", v.get("Value"))}
                                      for k, v in (message_attributes or {}).items()},
            },
        }]}
        invoke_from_service(self.endpoint, "sns.amazonaws.com", self.topic.arn, event)
        return None

    Subscription.publish = publish  # type: ignore[method-assign]


# ---------------------------------------------------------------- CloudWatch alarms
def _alarm_state(value: str, reason: str, reason_data: str | None, when: Any) -> dict[str, Any]:
    state = {"value": value, "reason": reason, "timestamp": when.isoformat(timespec="milliseconds") + "+0000"
             if hasattr(when, "isoformat") else str(when)}
    if reason_data:
        state["reasonData"] = reason_data
    return state


def _fire_alarm_actions(alarm: FakeAlarm, old: dict[str, Any]) -> None:
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
               "INSUFFICIENT_DATA": alarm.insufficient_data_actions}.get(alarm.state_value) or []
    if not alarm.actions_enabled or not actions:
        return
    parts = arn_parts(alarm.alarm_arn)
    account, region = parts["account"], parts["region"]
    dimensions = [{"name": d.name, "value": d.value} for d in (alarm.dimensions or [])]
    for action in actions:
        target = arn_parts(action)
        if target.get("service") == "sns":
            notification = {
                "AlarmName": alarm.name, "AlarmDescription": alarm.description, "AWSAccountId": account,
                "AlarmConfigurationUpdatedTimestamp": str(alarm.configuration_updated_timestamp),
                "NewStateValue": alarm.state_value, "NewStateReason": alarm.state_reason,
                "StateChangeTime": _now_iso(), "Region": REGION_NAMES.get(region, region), "AlarmArn": alarm.alarm_arn,
                "OldStateValue": old["value"], "OKActions": alarm.ok_actions, "AlarmActions": alarm.alarm_actions,
                "InsufficientDataActions": alarm.insufficient_data_actions,
                "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace, "StatisticType": "Statistic",
                            "Statistic": alarm.statistic, "Unit": alarm.unit, "Dimensions": dimensions,
                            "Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods,
                            "ComparisonOperator": alarm.comparison_operator, "Threshold": alarm.threshold,
                            "TreatMissingData": alarm.treat_missing_data or "missing"},
            }
            from moto.sns.models import sns_backends
            subject = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'
            # CloudWatch publishes as cloudwatch.amazonaws.com on the alarm's behalf: the topic's policy decides.
            if not sns_policy.check_service_publish(action, "cloudwatch.amazonaws.com", alarm.alarm_arn, account):
                logging.warning("alarm %s: the policy of SNS topic %s does not let CloudWatch publish", alarm.name, action)
                continue
            try:
                sns_backends[target["account"]][target["region"]].publish(json.dumps(notification), arn=action, subject=subject[:100])
            except Exception as error:  # a deleted topic: CloudWatch records a failed action
                logging.warning("alarm %s: SNS action %s failed: %s", alarm.name, action, error)
        elif target.get("service") == "lambda":
            event = {
                "source": "aws.cloudwatch", "alarmArn": alarm.alarm_arn, "accountId": account,
                "time": _now_iso(), "region": region,
                "alarmData": {
                    "alarmName": alarm.name,
                    "state": _alarm_state(alarm.state_value, alarm.state_reason, alarm.state_reason_data, alarm.state_updated_timestamp),
                    "previousState": old,
                    "configuration": {"description": alarm.description, "metrics": [{
                        "id": "m1", "returnData": True,
                        "metricStat": {"metric": {"namespace": alarm.namespace, "name": alarm.metric_name,
                                                  "dimensions": {d["name"]: d["value"] for d in dimensions}},
                                       "period": alarm.period, "stat": alarm.statistic, **({"unit": alarm.unit} if alarm.unit else {})},
                    }]},
                },
            }
            invoke_from_service(action, "lambda.alarms.cloudwatch.amazonaws.com", alarm.alarm_arn, event)


def install_alarms() -> None:
    original = FakeAlarm.update_state

    def update_state(self: FakeAlarm, reason: str, reason_data: str, state_value: str) -> None:
        old = _alarm_state(self.state_value, self.state_reason, self.state_reason_data, self.state_updated_timestamp)
        original(self, reason, reason_data, state_value)
        if old["value"] != state_value:  # actions run on a change of state only
            _fire_alarm_actions(self, old)

    FakeAlarm.update_state = update_state  # type: ignore[method-assign]


# ---------------------------------------------------------------- EventBridge
def install_events() -> None:
    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        lambda_targets = [t for t in self.targets if arn_parts(t["Arn"]).get("service") == "lambda"]
        others = [t for t in self.targets if t not in lambda_targets]
        for target in lambda_targets:
            event = json.loads(target["Input"]) if target.get("Input") else dict(original_event)
            if isinstance(event.get("time"), (int, float)):
                event["time"] = datetime.datetime.fromtimestamp(event["time"], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            invoke_from_service(target["Arn"], "events.amazonaws.com", self.arn, event)
        if others:
            saved = self.targets
            self.targets = others
            try:
                original(self, original_event, transform_input)
            finally:
                self.targets = saved

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


# ---------------------------------------------------------------- SQS event source mappings
def install_sqs() -> None:
    original = Queue.add_message

    def add_message(self: Queue, message: Any) -> None:
        # SQS keeps a FIFO deduplication id for 5 minutes even after the message was received and deleted;
        # moto compares only with messages still in the queue.
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-key-terms.html
        dedup = getattr(message, "deduplication_id", None)
        if self.fifo_queue and dedup:
            seen: dict[str, float] = self.__dict__.setdefault("_sandbox_dedup", {})
            now = time.time()
            for key in [k for k, t in seen.items() if now - t >= 300]:
                del seen[key]
            if dedup in seen:
                return
            seen[dedup] = now
        # moto would invoke the mapped function right here, inside the sender's request; the poller does it.
        saved = self.lambda_event_source_mappings
        self.lambda_event_source_mappings = {}
        try:
            original(self, message)
        finally:
            self.lambda_event_source_mappings = saved

    Queue.add_message = add_message  # type: ignore[method-assign]
    threading.Thread(target=_poll_forever, daemon=True, name="sqs-poller").start()


def _sqs_record(message: Any, queue: Any) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": "AIDASANDBOX",
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue.fifo_queue:
        attributes.update({"MessageGroupId": message.group_id, "MessageDeduplicationId": message.deduplication_id,
                           "SequenceNumber": str(getattr(message, "sequence_number", "") or "")})
    return {"messageId": message.id, "receiptHandle": message.receipt_handle, "body": message.body,
            "attributes": attributes, "messageAttributes": message.message_attributes or {},
            "md5OfBody": message.body_md5, "eventSource": "aws:sqs", "eventSourceARN": queue.queue_arn,
            "awsRegion": queue.region}


def _poll_once() -> bool:
    from moto.awslambda.models import lambda_backends
    from moto.sqs.models import sqs_backends
    work = []
    with LOCK:
        for account, regions in list(lambda_backends.items()):
            for region, backend in list(regions.items()):
                for esm in list(getattr(backend, "_event_source_mappings", {}).values()):
                    parts = arn_parts(esm.event_source_arn)
                    if not esm.enabled or parts.get("service") != "sqs":
                        continue
                    sqs = sqs_backends[parts["account"]][parts["region"]]
                    queue = sqs.queues.get(parts["resource"])
                    view = find_function(esm.function_arn)
                    if queue is None or view is None:
                        continue
                    messages = sqs.receive_message(queue.name, min(int(esm.batch_size or 10), 10), 0, int(queue.visibility_timeout))
                    if messages:
                        event = {"Records": [_sqs_record(m, queue) for m in messages]}
                        work.append((esm, view, sqs, queue, messages, event))
    for esm, view, sqs, queue, messages, event in work:
        outcome = invoke_sync(view, json.dumps(event).encode())
        if outcome is None or not outcome.ok:
            continue  # the messages come back after the visibility timeout
        keep: set[str] = set()
        if "ReportBatchItemFailures" in (esm.function_response_types or []):
            try:
                failures = (json.loads(outcome.payload or b"null") or {}).get("batchItemFailures") or []
                keep = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
            except (ValueError, AttributeError):
                keep = {m.id for m in messages}
        with LOCK:
            for message in messages:
                if message.id not in keep:
                    try:
                        sqs.delete_message(queue.name, message.receipt_handle)
                    except Exception:
                        pass
    return bool(work)


def _poll_forever() -> None:
    while True:
        try:
            busy = _poll_once()
        except Exception:
            logging.exception("sqs poller")
            busy = False
        if not busy:
            time.sleep(SQS_POLL_SECONDS)


def install_mapping_checks() -> None:
    """CreateEventSourceMapping refuses what Lambda refuses for SQS: a function Timeout longer than the
    queue's visibility timeout, and a BatchSize over 10 for a FIFO queue (10,000 for a standard one).
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html"""
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.sqs.models import sqs_backends
    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        parts = arn_parts(str(spec.get("EventSourceArn") or ""))
        if parts.get("service") == "sqs":
            queue = sqs_backends[parts["account"]][parts["region"]].queues.get(parts["resource"])
            fn = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec.get("FunctionName", ""))
            if queue is not None and fn is not None:
                timeout = int(getattr(fn, "timeout", 3) or 3)
                if timeout > int(queue.visibility_timeout):
                    raise InvalidParameterValueException(
                        f"Queue visibility timeout: {int(queue.visibility_timeout)} seconds is less than Function timeout: {timeout} seconds")
                limit = 10 if queue.fifo_queue else 10000
                if int(spec.get("BatchSize") or 10) > limit:
                    raise InvalidParameterValueException(f"BatchSize must be at most {limit} for this queue")
        return original(self, spec)

    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]


def install_all() -> None:
    install_mapping_checks()
    install_sns()
    install_alarms()
    install_events()
    install_sqs()
    _ = Settings  # the poller runs with the process; resets clear the mappings with moto
