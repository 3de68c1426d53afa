"""CloudWatch's ListTagsForResource as AWS answers it for an alarm that does not exist.

moto answers an empty tag list for any ARN; AWS answers 404 ResourceNotFound ("The named resource does not
exist"), which is what a caller meets when an alarm is deleted between DescribeAlarms and reading its tags.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListTagsForResource.html
"""

from __future__ import annotations

from moto.cloudwatch.exceptions import ResourceNotFound
from moto.cloudwatch.models import CloudWatchBackend


def install() -> None:
    list_tags_for_resource = CloudWatchBackend.list_tags_for_resource

    def checked_list_tags_for_resource(self: CloudWatchBackend, arn: str) -> dict[str, str]:
        # Only alarms are checked: Contributor Insights rules are taggable too, and the sandbox does not model them.
        if ":alarm:" in arn and arn not in {alarm.alarm_arn for alarm in self.describe_alarms()}:
            raise ResourceNotFound(message="The named resource does not exist.")
        return list_tags_for_resource(self, arn)

    CloudWatchBackend.list_tags_for_resource = checked_list_tags_for_resource  # type: ignore[method-assign]
