#!/usr/bin/env python3
"""The processor's work in Powertools for AWS Lambda (Python): a
`BatchProcessor` over Kinesis records whose handler reads each record as a
periodic-table element with the processor's strict schema, behind a minimal
Runtime API loop (GET next, json.loads, handler, POST json.dumps), the part
the Python runtime interface client plays in Lambda. Used by
runtime_api_bench.py against its fake Runtime API.
"""

import http.client
import json
import os

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)

processor = BatchProcessor(event_type=EventType.KinesisDataStreams)


def record_handler(record: KinesisStreamRecord):
    element = json.loads(record.kinesis.data_as_text())
    number = element["AtomicNumber"]
    mass = element["AtomicMass"]
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise ValueError("AtomicNumber must be a positive integer")
    if not isinstance(element["Element"], str) or not isinstance(element["Symbol"], str):
        raise ValueError("Element and Symbol must be strings")
    if not isinstance(mass, (int, float)) or isinstance(mass, bool) or mass <= 0:
        raise ValueError("AtomicMass must be a positive number")


def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


def main():
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    api = http.client.HTTPConnection(host, int(port))
    base = "/2018-06-01/runtime/invocation"
    while True:
        api.request("GET", f"{base}/next")
        response = api.getresponse()
        body = response.read()
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        event = json.loads(body)
        answer = json.dumps(handler(event, None)).encode()
        api.request("POST", f"{base}/{request_id}/response", body=answer)
        api.getresponse().read()


if __name__ == "__main__":
    main()
