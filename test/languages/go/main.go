// The example app in Go: the README's Go usage example (media_stack.go) in an app, as `cdk init app --language go`
// writes one. scripts/test-languages.mjs synthesizes it with the Go module that `npm run package` generates.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	NewMediaStack(app, "LightsailBucketAccessKeyExample")
	app.Synth(nil)
}
