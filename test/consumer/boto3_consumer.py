"""A consumer of a key's secret with boto3, as the README shows it.

The README's `upload` (between the markers, kept equal to the README by a test) runs on the secret value in
secret-value.json, which a test keeps equal to what the handler writes for that bucket. No request leaves the
machine: botocore's `before-send` event answers it, after recording where it would have gone.

    python3 test/consumer/boto3_consumer.py

prints the request and exits 0 when it goes to the key's bucket, at the bucket's own host; 1 otherwise.
"""

# readme:start
import boto3
from botocore.config import Config


# `key` is the key secret's value: json.loads(SecretString).
def upload(key, photo):
    s3 = boto3.client(
        "s3",
        region_name=key["region"],
        endpoint_url=key["endpoint"],
        aws_access_key_id=key["accessKeyId"],
        aws_secret_access_key=key["secretAccessKey"],
        # The bucket's own host, as in bucketUrl (botocore puts the bucket in the path of an endpoint_url otherwise).
        config=Config(s3={"addressing_style": "virtual"}),
    )
    # PUT https://media-assets-example.s3.eu-west-1.amazonaws.com/photo.jpg
    s3.put_object(Bucket=key["bucketName"], Key="photo.jpg", Body=photo)
# readme:end


import json  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402

from botocore.awsrequest import AWSResponse  # noqa: E402

EXPECTED = ("PUT", "https://media-assets-example.s3.eu-west-1.amazonaws.com/photo.jpg")


class _EmptyBody:
    def stream(self, **_):
        yield b""


def main() -> int:
    sent = []

    def answer(request, **_):
        sent.append((request.method, request.url))
        return AWSResponse(request.url, 200, {}, _EmptyBody())

    # Clients made from the default session take its event handlers: the README's client included.
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-send.s3", answer)
    key = json.loads((pathlib.Path(__file__).parent / "secret-value.json").read_text())
    upload(key, b"jpeg")

    for method, url in sent:
        print(f"{method} {url}")
    if sent != [EXPECTED]:
        print(f"expected one request: {EXPECTED[0]} {EXPECTED[1]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
