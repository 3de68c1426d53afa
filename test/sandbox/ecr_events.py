"""ECR's "ECR Image Action" event on the default EventBridge bus, put when PutImage succeeds.

AWS sends it for each completed push, with this shape:
https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
  {"source": "aws.ecr", "detail-type": "ECR Image Action", "account", "region", "time", "resources": [],
   "detail": {"result": "SUCCESS", "repository-name", "image-digest", "action-type": "PUSH", "image-tag"}}
Rules on the default bus then deliver it (event_sources.py runs Lambda targets).
"""

from __future__ import annotations

import json
import logging
from typing import Any


def install() -> None:
    from moto.ecr.models import ECRBackend

    original = ECRBackend.put_image

    def put_image(self: ECRBackend, repository_name: str, image_manifest: str, image_tag: str,
                  image_manifest_mediatype: str | None = None, digest: str | None = None) -> Any:
        image = original(self, repository_name, image_manifest, image_tag, image_manifest_mediatype, digest)
        try:
            from moto.events.models import events_backends
            detail = {"result": "SUCCESS", "repository-name": repository_name, "image-digest": image.get_image_digest(),
                      "action-type": "PUSH", "image-tag": image_tag or ""}
            events_backends[self.account_id][self.region_name].put_events([{
                "Source": "aws.ecr", "DetailType": "ECR Image Action", "Detail": json.dumps(detail),
                "Resources": [], "EventBusName": "default",
            }])
        except Exception:  # the push itself succeeded; a delivery problem shows in stderr
            logging.exception("could not put the ECR Image Action event")
        return image

    ECRBackend.put_image = put_image  # type: ignore[method-assign]
