import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.*;
import software.amazon.awscdk.services.kms.*;
import software.amazon.awscdk.services.lightsail.*;
import software.constructs.Construct;
import io.github.cdklightsailbucketaccesskey.BucketAccessKey;
import io.github.cdklightsailbucketaccesskey.BucketAccessKeyRotation;

public class MediaStack extends Stack {
    public MediaStack(Construct scope, String id) {
        super(scope, id);
        CfnBucket bucket = CfnBucket.Builder.create(this, "Bucket")
                .bucketName("media-assets-example")
                .bundleId("small_1_0")
                .build();

        // The secret access key goes straight into Secrets Manager. Every 30 days a new key replaces it; the one before
        // keeps working for a day.
        BucketAccessKey key = BucketAccessKey.Builder.create(this, "MediaKey")
                .bucket(bucket)
                .encryptionKey(Key.Builder.create(this, "SecretsKey").enableKeyRotation(true).build())
                .rotation(BucketAccessKeyRotation.builder().automaticallyAfter(Duration.days(30)).gracePeriod(Duration.days(1)).build())
                .build();
        key.grantRead(Role.Builder.create(this, "Uploader").assumedBy(new ServicePrincipal("lambda.amazonaws.com")).build());
        CfnOutput.Builder.create(this, "AccessKeyId").value(key.getAccessKeyId()).build();
        CfnOutput.Builder.create(this, "KeySecretArn").value(key.getSecret().getSecretArn()).build();
    }
}
