//! How AWS SDK clients reach the emulators: region, test credentials and
//! an endpoint URL.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

/// The region every local resource lives in.
pub const REGION: &str = "us-east-1";

/// The account id in every local ARN; both emulators are told to use it.
pub const ACCOUNT_ID: &str = "000000000000";

/// Access key id of the local test credentials. Not a 12-digit number, so
/// neither emulator reads it as an account id and both use [`ACCOUNT_ID`].
pub const ACCESS_KEY_ID: &str = "streamdlq-local";

/// Secret key of the local test credentials (the emulators accept any).
pub const SECRET_ACCESS_KEY: &str = "streamdlq-local";

/// SDK configuration for clients of the emulator at `endpoint_url`.
///
/// Built from scratch rather than loaded from the environment, so that no
/// profile, credential or `AWS_ENDPOINT_URL*` setting of the caller can send
/// a request anywhere but the local emulator.
pub fn local_sdk_config(endpoint_url: &str) -> SdkConfig {
    let credentials = Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        None,
        "streamdlq-local",
    );
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .endpoint_url(endpoint_url)
        .build()
}
