#!/usr/bin/env node
/** The example app that `npx cdk synth` synthesizes (see cdk.json). */
import { App } from 'aws-cdk-lib';
import { MediaStack } from './media-stack';

const app = new App();
new MediaStack(app, 'LightsailBucketAccessKeyExample');
