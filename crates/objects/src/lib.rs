//! Object storage for artifacts (strategy exports, audit packages, large run artifacts):
//! a thin wrapper over the `object_store` crate.
//!
//! - No URL: a local directory ([`DEFAULT_DIR`], or the one the caller chooses).
//! - `file:///abs/dir` or a plain path: that directory, confined with
//!   `LocalFileSystem::new_with_prefix` (a bare `file://` store would root at `/`).
//! - `s3://bucket[/prefix]`: S3 or an S3-compatible server, configured from the `AWS_*`
//!   environment and then from explicit options (`endpoint`, `region`, `access_key_id`,
//!   `secret_access_key`, `allow_http`, …). `object_store` drops unknown keys silently, so
//!   every option is parsed here first and an unknown one is refused by name.
//!
//! Keys are checked before any IO ([`check_key`]): relative, `/`-separated, no `.` or `..`
//! segments, no empty segment, a small character set and at most [`MAX_KEY_BYTES`].
//! Every write returns the object's SHA-256 so callers can record it.

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Where objects go when no URL is configured (relative to the working directory).
pub const DEFAULT_DIR: &str = "data/objects";

/// The part size of [`Objects::put_file`]: S3 allows 10,000 parts, so files up to about
/// 156 GiB.
pub const PART_BYTES: usize = 16 << 20;

/// The longest key accepted, in bytes (S3 allows 1,024).
pub const MAX_KEY_BYTES: usize = 512;

/// Options a local directory store accepts (none: it is configured by its path alone).
const LOCAL_OPTIONS: &[&str] = &[];

/// Why an object operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ObjectsError {
    /// The store's URL or one of its options is wrong; the message names it.
    #[error("object store configuration: {0}")]
    Config(String),
    /// A key that is not allowed (the reason says why).
    #[error("invalid object key \"{key}\": {reason}")]
    Key { key: String, reason: &'static str },
    /// The store itself failed (IO, network, permissions).
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
}

/// What a write stored: the key, its size and the SHA-256 of its bytes (lower-case hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub key: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One listed object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub bytes: u64,
    /// Last modification, epoch milliseconds.
    pub last_modified_ms: i64,
}

/// A handle on the configured store. Cheap to clone.
#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    /// Where it points (no secrets): `file:///abs/dir`, `s3://bucket/prefix` or `memory:`.
    location: String,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Objects {
    /// Opens the store a URL names (`None`: the local directory [`DEFAULT_DIR`]).
    pub fn from_config(
        url: Option<&str>,
        options: &[(String, String)],
    ) -> Result<Objects, ObjectsError> {
        Objects::from_config_or(url, options, Path::new(DEFAULT_DIR))
    }

    /// Like [`Objects::from_config`], with the directory used when `url` is `None`.
    pub fn from_config_or(
        url: Option<&str>,
        options: &[(String, String)],
        default_dir: &Path,
    ) -> Result<Objects, ObjectsError> {
        let url = url.map(str::trim).filter(|url| !url.is_empty());
        let Some(url) = url else {
            refuse_options(options, LOCAL_OPTIONS, "a local directory")?;
            return Objects::local(default_dir);
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            return Objects::s3(rest, options);
        }
        if let Some(rest) = url.strip_prefix("file://") {
            if !rest.starts_with('/') {
                return Err(ObjectsError::Config(format!(
                    "\"{url}\" must name an absolute directory, like file:///var/lib/blockbuilders/objects"
                )));
            }
            refuse_options(options, LOCAL_OPTIONS, "a local directory")?;
            return Objects::local(Path::new(rest));
        }
        if url == "memory:" || url == "memory://" {
            refuse_options(options, LOCAL_OPTIONS, "an in-memory store")?;
            return Ok(Objects::memory());
        }
        if url.contains("://") {
            return Err(ObjectsError::Config(format!(
                "unsupported object store URL \"{}\"; use file:///dir, s3://bucket[/prefix] or a directory path",
                url.split("://").next().unwrap_or_default()
            )));
        }
        refuse_options(options, LOCAL_OPTIONS, "a local directory")?;
        Objects::local(Path::new(url))
    }

    /// A store confined to `dir` (created when missing).
    pub fn local(dir: &Path) -> Result<Objects, ObjectsError> {
        std::fs::create_dir_all(dir).map_err(|error| {
            ObjectsError::Config(format!("creating {}: {error}", dir.display()))
        })?;
        let absolute: PathBuf = std::fs::canonicalize(dir)
            .map_err(|error| ObjectsError::Config(format!("opening {}: {error}", dir.display())))?;
        let store = LocalFileSystem::new_with_prefix(&absolute)?
            .with_fsync(true)
            .with_automatic_cleanup(true);
        Ok(Objects {
            store: Arc::new(store),
            location: format!("file://{}", absolute.display()),
        })
    }

    /// A store in memory (tests, embedders).
    pub fn memory() -> Objects {
        Objects {
            store: Arc::new(InMemory::new()),
            location: "memory:".to_string(),
        }
    }

    /// `bucket[/prefix]` (after `s3://`) with the `AWS_*` environment and `options`.
    fn s3(rest: &str, options: &[(String, String)]) -> Result<Objects, ObjectsError> {
        let (bucket, prefix) = match rest.split_once('/') {
            Some((bucket, prefix)) => (bucket, prefix.trim_matches('/')),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(ObjectsError::Config(
                "the S3 URL names no bucket; use s3://bucket[/prefix]".to_string(),
            ));
        }
        if !prefix.is_empty() {
            check_key(prefix)?;
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        for (key, value) in options {
            let parsed = parse_s3_key(key)?;
            if parsed == AmazonS3ConfigKey::Bucket {
                return Err(ObjectsError::Config(format!(
                    "option \"{key}\": the bucket comes from the URL (s3://bucket)"
                )));
            }
            builder = builder.with_config(parsed, value);
        }
        // rustls is built without a bundled provider (no aws-lc); make ring the process's
        // provider before reqwest builds its client. A later call does nothing.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = builder.build()?;
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        let location = if prefix.is_empty() {
            format!("s3://{bucket}")
        } else {
            format!("s3://{bucket}/{prefix}")
        };
        Ok(Objects { store, location })
    }

    /// The underlying `object_store` handle (for conditional writes and listings beyond
    /// the methods here, e.g. the audit heads).
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// Where the store points, without secrets.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Writes `bytes` under `key` (replacing any object there) and returns its SHA-256.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<Stored, ObjectsError> {
        let path = object_path(key)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.store.put(&path, PutPayload::from(bytes)).await?;
        Ok(Stored {
            key: key.to_string(),
            bytes: size,
            sha256,
        })
    }

    /// The object's bytes, or `None` when there is none under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, ObjectsError> {
        let path = object_path(key)?;
        match self.store.get(&path).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Every object whose key lies under `prefix` (whole segments: `exports/a` lists
    /// `exports/a/x`, not `exports/ab`), sorted by key. An empty prefix lists everything.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, ObjectsError> {
        let prefix = prefix.trim_end_matches('/');
        let path = if prefix.is_empty() {
            None
        } else {
            Some(object_path(prefix)?)
        };
        let mut objects: Vec<ObjectInfo> = self
            .store
            .list(path.as_ref())
            .map_ok(|meta| ObjectInfo {
                key: meta.location.to_string(),
                bytes: meta.size,
                last_modified_ms: meta.last_modified.timestamp_millis(),
            })
            .try_collect()
            .await?;
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// Writes `bytes` under `key` only if no object is there yet (the commit point of a
    /// multi-object write, such as a backup's manifest): `AlreadyExists` otherwise.
    pub async fn put_new(&self, key: &str, bytes: Bytes) -> Result<Stored, ObjectsError> {
        let path = object_path(key)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.store
            .put_opts(
                &path,
                PutPayload::from(bytes),
                object_store::PutMode::Create.into(),
            )
            .await?;
        Ok(Stored {
            key: key.to_string(),
            bytes: size,
            sha256,
        })
    }

    /// Uploads a local file under `key` in parts of [`PART_BYTES`] (memory stays bounded
    /// whatever the file's size) and returns its SHA-256. A failed upload is aborted.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<Stored, ObjectsError> {
        use std::io::Read;
        let path = object_path(key)?;
        let io = |e: std::io::Error| ObjectsError::Config(format!("{}: {e}", file.display()));
        let mut reader = std::fs::File::open(file).map_err(io)?;
        let upload = self.store.put_multipart(&path).await?;
        let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    writer.abort().await.ok();
                    return Err(io(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(2).await {
                writer.abort().await.ok();
                return Err(e.into());
            }
            hasher.update(&buf[..n]);
            writer.write(&buf[..n]);
            size += n as u64;
        }
        writer.finish().await?;
        Ok(Stored {
            key: key.to_string(),
            bytes: size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// Downloads the object under `key` into a local file, streamed; `None` when there is no
    /// such object.
    pub async fn get_to_file(&self, key: &str, file: &Path) -> Result<Option<u64>, ObjectsError> {
        use std::io::Write;
        let path = object_path(key)?;
        let io = |e: std::io::Error| ObjectsError::Config(format!("{}: {e}", file.display()));
        let result = match self.store.get(&path).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let mut out = std::io::BufWriter::new(std::fs::File::create(file).map_err(io)?);
        let mut stream = result.into_stream();
        let mut size = 0u64;
        while let Some(chunk) = stream.try_next().await? {
            out.write_all(&chunk).map_err(io)?;
            size += chunk.len() as u64;
        }
        out.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        Ok(Some(size))
    }

    /// Removes the object under `key`; removing one that is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), ObjectsError> {
        let path = object_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Checks a key: 1 to [`MAX_KEY_BYTES`] bytes of `A-Z a-z 0-9 . _ - = +` in `/`-separated
/// segments, no leading or trailing `/`, no empty, `.` or `..` segment.
pub fn check_key(key: &str) -> Result<(), ObjectsError> {
    let refuse = |reason| {
        Err(ObjectsError::Key {
            key: key.chars().take(80).collect(),
            reason,
        })
    };
    if key.is_empty() {
        return refuse("it is empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return refuse("it is longer than 512 bytes");
    }
    if key.starts_with('/') {
        return refuse("it starts with /");
    }
    if key.ends_with('/') {
        return refuse("it ends with /");
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'=' | b'+'))
    {
        return refuse("only letters, digits, / . _ - = + are allowed");
    }
    for segment in key.split('/') {
        match segment {
            "" => return refuse("it has an empty segment (//)"),
            "." | ".." => return refuse("it has a . or .. segment"),
            _ => {}
        }
    }
    Ok(())
}

fn object_path(key: &str) -> Result<ObjectPath, ObjectsError> {
    check_key(key)?;
    ObjectPath::parse(key).map_err(|_| ObjectsError::Key {
        key: key.to_string(),
        reason: "it is not a valid object path",
    })
}

fn parse_s3_key(key: &str) -> Result<AmazonS3ConfigKey, ObjectsError> {
    AmazonS3ConfigKey::from_str(&key.trim().to_ascii_lowercase()).map_err(|_| {
        ObjectsError::Config(format!(
            "unknown S3 option \"{key}\"; use e.g. endpoint, region, access_key_id, \
             secret_access_key, session_token, allow_http, virtual_hosted_style_request"
        ))
    })
}

fn refuse_options(
    options: &[(String, String)],
    allowed: &[&str],
    what: &str,
) -> Result<(), ObjectsError> {
    match options
        .iter()
        .find(|(key, _)| !allowed.contains(&key.as_str()))
    {
        Some((key, _)) => Err(ObjectsError::Config(format!(
            "unknown option \"{key}\" for {what} (it takes none)"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for good in [
            "exports/0193/abc.json",
            "a",
            "audit/head-2026-12-06.json",
            "x=1+y",
        ] {
            assert!(check_key(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("/abs", "starts with /"),
            ("dir/", "ends with /"),
            ("a//b", "empty segment"),
            ("a/../b", ". or .."),
            ("..", ". or .."),
            ("./a", ". or .."),
            ("a b", "only letters"),
            ("a\\b", "only letters"),
            ("é", "only letters"),
        ] {
            let error = check_key(bad).expect_err(bad).to_string();
            assert!(error.contains(why), "{bad}: {error}");
        }
        let long = "a".repeat(MAX_KEY_BYTES + 1);
        assert!(check_key(&long).is_err());
        assert!(check_key(&"a".repeat(MAX_KEY_BYTES)).is_ok());
    }

    #[test]
    fn unknown_options_are_refused() {
        let options = vec![("endpiont".to_string(), "http://x".to_string())];
        let error = Objects::from_config(Some("s3://bucket"), &options)
            .expect_err("unknown key")
            .to_string();
        assert!(error.contains("unknown S3 option \"endpiont\""), "{error}");

        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("file://{}", dir.path().display());
        let options = vec![("region".to_string(), "us-east-1".to_string())];
        let error = Objects::from_config(Some(&url), &options)
            .expect_err("local takes none")
            .to_string();
        assert!(error.contains("unknown option \"region\""), "{error}");

        let options = vec![("bucket".to_string(), "other".to_string())];
        let error = Objects::from_config(Some("s3://bucket"), &options)
            .expect_err("bucket from URL")
            .to_string();
        assert!(error.contains("comes from the URL"), "{error}");
    }

    #[test]
    fn urls() {
        for bad in [
            "gs://bucket",
            "file://relative/dir",
            "s3://",
            "s3:///prefix",
        ] {
            assert!(Objects::from_config(Some(bad), &[]).is_err(), "{bad}");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("a/b");
        let objects =
            Objects::from_config(Some(&format!("file://{}", nested.display())), &[]).expect("file");
        assert!(objects.location().ends_with("/a/b"), "{objects:?}");
        assert!(nested.is_dir());
        let objects = Objects::from_config_or(None, &[], &dir.path().join("d")).expect("default");
        assert!(objects.location().ends_with("/d"));
    }
}
