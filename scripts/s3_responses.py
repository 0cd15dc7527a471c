"""CloudFormation's side of a custom resource's answer, on the local S3 (moto): create the
bucket and print, per key, a presigned PUT URL (the request's ResponseURL, as CloudFormation
makes one) and a presigned GET URL (to read the answer back), as JSON.

usage: s3_responses.py ENDPOINT BUCKET KEY...
"""
import json
import sys

import boto3
from botocore.config import Config


def main():
    endpoint, bucket, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    urls = {
        key: {
            "put": s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=7200),
            "get": s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=7200),
        }
        for key in keys
    }
    print(json.dumps(urls))


if __name__ == "__main__":
    main()
