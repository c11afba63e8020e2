import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.kms.*;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lightsail.*;
import software.constructs.Construct;
import io.github.cdklightsailbucketaccesskey.BucketAccessKey;
import io.github.cdklightsailbucketaccesskey.BucketAccessKeyRotation;
import java.util.Map;

public class MediaStack extends Stack {
    public MediaStack(Construct scope, String id) {
        super(scope, id);

        CfnBucket bucket = CfnBucket.Builder.create(this, "Bucket")
                .bucketName("media-assets-example")
                .bundleId("small_1_0")
                .build();

        // The key's secret access key goes straight into Secrets Manager, encrypted with a key of your own; the
        // template never holds it. Every 30 days a new key replaces it; the previous one keeps working for a day.
        Key encryptionKey = Key.Builder.create(this, "SecretsKey").enableKeyRotation(true).build();
        BucketAccessKey key = BucketAccessKey.Builder.create(this, "MediaKey")
                .bucket(bucket)
                .encryptionKey(encryptionKey)
                .rotation(BucketAccessKeyRotation.builder().automaticallyAfter(Duration.days(30)).gracePeriod(Duration.days(1)).build())
                .build();

        // A consumer: reads the key from the secret when it runs (rotation changes it).
        Function reader = Function.Builder.create(this, "Uploader")
                .runtime(Runtime.NODEJS_24_X)
                .handler("index.handler")
                .code(Code.fromInline("\n        const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');\n        const sm = new SecretsManagerClient({});\n        exports.handler = async () => {\n          const out = await sm.send(new GetSecretValueCommand({ SecretId: process.env.KEY_SECRET_ARN }));\n          const { accessKeyId, bucketName, endpoint } = JSON.parse(out.SecretString);\n          return { accessKeyId, bucketName, endpoint };\n        };\n      "))
                .environment(Map.of("KEY_SECRET_ARN", key.getSecret().getSecretArn()))
                .build();
        key.grantRead(reader);

        CfnOutput.Builder.create(this, "AccessKeyId").value(key.getAccessKeyId()).build();
        CfnOutput.Builder.create(this, "KeySecretArn").value(key.getSecret().getSecretArn()).build();
    }
}
