#!/usr/bin/env python3
"""Seeds and compares S3 buckets for tests/e2e/bucket_test.sh, through boto3 so the objects
are written and read by a client other than lifeboat's own.

  bucket_tool.py seed BUCKET        makes BUCKET with ~50 objects (nested keys, an empty one,
                                    a 20 MiB one, keys with spaces, unicode, "a//b", "/lead",
                                    "x/../y", "dir/" beside "dir", content types, metadata)
  bucket_tool.py describe BUCKET [PREFIX]  prints one JSON line per object: key, sha256,
                                    content type, metadata, sorted by key
  bucket_tool.py etag BUCKET KEY    prints the object's ETag ("...-N" after N parts)
  bucket_tool.py deny-puts BUCKET PREFIX  makes BUCKET with a policy refusing puts under PREFIX
  bucket_tool.py drop BUCKET        empties and removes BUCKET (missing is fine)
Environment: S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.
"""
import hashlib
import json
import os
import random
import sys

import boto3
from botocore.config import Config


def client():
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"],
                        config=Config(s3={"addressing_style": "path"}))


def seed(s3, bucket):
    s3.create_bucket(Bucket=bucket)
    rng = random.Random(4)
    objects = []
    for i in range(40):
        key = "uploads/%s/file-%02d.txt" % ("ab"[i % 2], i)
        objects.append((key, ("object %d\n" % i).encode() * (i * 37 + 1), "text/plain",
                        {"index": str(i)}))
    objects += [
        ("empty", b"", "application/x-empty", {}),
        ("big/video.bin", rng.randbytes(20 << 20), "video/mp4", {"camera": "north-2"}),
        ("with space/and more.txt", b"spaces\n", "text/plain", {"note": "two words"}),
        ("unicode/caf\u00e9-\u00fcber-\u65e5\u672c.txt", b"unicode\n", "text/plain; charset=utf-8", {}),
        ("a//b", b"double slash\n", "application/octet-stream", {}),
        ("/leading", b"leading slash\n", "text/plain", {}),
        ("x/../y", b"dot dot\n", "text/plain", {}),
        ("./here", b"dot\n", "text/plain", {}),
        ("percent%25/100%", b"percent\n", "text/plain", {}),
        ("dir", b"a file named like a directory\n", "text/plain", {"kind": "file"}),
        ("dir/", b"", "application/x-directory", {"kind": "marker"}),
        ("dir/inner.json", b'{"a": 1}\n', "application/json",
         {"owner": "media-team", "checksum-alg": "sha256"}),
    ]
    for key, body, content_type, metadata in objects:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type,
                      Metadata=metadata)
    print(len(objects))


def describe(s3, bucket, prefix=""):
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=entry["Key"])
            body = got["Body"].read()
            print(json.dumps({"key": entry["Key"], "sha256": hashlib.sha256(body).hexdigest(),
                              "size": len(body), "content_type": got.get("ContentType", ""),
                              "metadata": got.get("Metadata", {})}, sort_keys=True))


def drop(s3, bucket):
    try:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=entry["Key"])
        s3.delete_bucket(Bucket=bucket)
    except s3.exceptions.NoSuchBucket:
        pass


def main():
    command, bucket = sys.argv[1], sys.argv[2]
    s3 = client()
    if command == "seed":
        seed(s3, bucket)
    elif command == "describe":
        describe(s3, bucket, sys.argv[3] if len(sys.argv) > 3 else "")
    elif command == "etag":
        print(s3.head_object(Bucket=bucket, Key=sys.argv[3])["ETag"])
    elif command == "deny-puts":
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                           "Resource": "arn:aws:s3:::%s/%s*" % (bucket, sys.argv[3])}]}))
    elif command == "drop":
        drop(s3, bucket)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
