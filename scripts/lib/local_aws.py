"""Puts records and reads the DLQ of the local stack with boto3.

Any AWS SDK reaches the local stack through the environment that
`streamdlq local up` prints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KINESIS, ...);
this is the one the demo uses, from the emulators' pinned venv.

  local_aws.py put-records FILE           PutRecords of an AWS CLI input file;
                                          prints [{shardId, sequenceNumber, data}]
  local_aws.py read-dlq --wait N --timeout S
                                          prints the DLQ bodies (as JSON) once at
                                          least N are there; never consumes them
"""

import argparse
import base64
import json
import os
import sys
import time

import boto3


def put_records(path):
    with open(path) as file:
        entries = json.load(file)
    kinesis = boto3.client("kinesis")
    answer = kinesis.put_records(
        StreamName=os.environ["STREAMDLQ_STREAM_NAME"],
        Records=[
            {"Data": base64.b64decode(e["Data"]), "PartitionKey": e["PartitionKey"]}
            for e in entries
        ],
    )
    if answer.get("FailedRecordCount"):
        sys.exit(f"put-records: {answer['FailedRecordCount']} records were not put")
    print(json.dumps([
        {"shardId": r["ShardId"], "sequenceNumber": r["SequenceNumber"], "data": e["Data"]}
        for r, e in zip(answer["Records"], entries)
    ]))


def read_dlq(wait, timeout, queue_url):
    sqs = boto3.client("sqs")
    seen = {}
    deadline = time.monotonic() + timeout
    while True:
        # Visibility timeout 0: the messages stay in the queue, visible.
        answer = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        for message in answer.get("Messages", []):
            seen.setdefault(message["MessageId"], json.loads(message["Body"]))
        if len(seen) >= wait or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    print(json.dumps(list(seen.values())))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    put = commands.add_parser("put-records")
    put.add_argument("file")
    read = commands.add_parser("read-dlq")
    read.add_argument("--wait", type=int, default=0)
    read.add_argument("--timeout", type=float, default=0)
    read.add_argument("--queue-url", default=os.environ.get("STREAMDLQ_DLQ_URL"))
    args = parser.parse_args()
    if args.command == "put-records":
        put_records(args.file)
    else:
        read_dlq(args.wait, args.timeout, args.queue_url)


if __name__ == "__main__":
    main()
