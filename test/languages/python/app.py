#!/usr/bin/env python3
"""The example app in Python: the README's Python usage example (media_stack.py, copied from the README by
scripts/test-languages.mjs) in an app, as `cdk init app --language python` writes one."""
from aws_cdk import App

from media_stack import MediaStack

app = App()
MediaStack(app, "LightsailBucketAccessKeyExample")
app.synth()
