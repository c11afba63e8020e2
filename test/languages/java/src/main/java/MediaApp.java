import software.amazon.awscdk.App;

/**
 * The example app in Java: the README's Java usage example (MediaStack.java) in an app, as `cdk init app --language
 * java` writes one. scripts/test-languages.mjs synthesizes it with the Maven artifact built from dist/java.
 */
public final class MediaApp {
    public static void main(final String[] args) {
        App app = new App();
        new MediaStack(app, "LightsailBucketAccessKeyExample");
        app.synth();
    }
}
