//! The S3 path against a local S3-compatible server: moto's server mode, installed into the
//! repository's `.venv` by `bash scripts/setup test` (pinned in tools/requirements-test.txt).
//! Also the local directory store, through the same calls.

use bb_objects::{Objects, ObjectsError};
use bytes::Bytes;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(60);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// moto_server on a free loopback port; killed when dropped.
struct Moto {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one plain HTTP/1.1 request and returns the status code.
fn http(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    let text = String::from_utf8_lossy(&head);
    text.get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:?}")))
}

fn start_moto() -> Moto {
    let bin = repo_root().join(".venv/bin/moto_server");
    assert!(
        bin.exists(),
        "{} is missing: run `bash scripts/setup test` (it installs moto[server] from \
         tools/requirements-test.txt into .venv)",
        bin.display()
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let mut moto = Moto {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    let started = Instant::now();
    loop {
        if http(moto.addr, "GET", "/").is_ok() {
            return moto;
        }
        if let Ok(Some(status)) = moto.child.try_wait() {
            panic!("moto_server exited early with {status}");
        }
        assert!(
            started.elapsed() < START_TIMEOUT,
            "moto_server did not answer on {} within {START_TIMEOUT:?}",
            moto.addr
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// put, get, list, delete and key checks, the same on every store.
async fn exercise(objects: &Objects) {
    let body = Bytes::from_static(b"{\"hello\":\"world\"}");
    let stored = objects
        .put("exports/u1/a.json", body.clone())
        .await
        .expect("put");
    assert_eq!(stored.bytes, body.len() as u64);
    assert_eq!(
        stored.sha256,
        "93a23971a914e5eacbf0a8d25154cda309c3c1c72fbb9914d47c60f3cb681588"
    );
    objects
        .put("exports/u1/b.json", Bytes::from_static(b"b"))
        .await
        .expect("put b");
    objects
        .put("exports/u10/c.json", Bytes::from_static(b"c"))
        .await
        .expect("put c");

    assert_eq!(
        objects.get("exports/u1/a.json").await.expect("get"),
        Some(body)
    );
    assert_eq!(
        objects.get("exports/u1/none.json").await.expect("get"),
        None
    );

    let listed = objects.list("exports/u1").await.expect("list");
    let keys: Vec<&str> = listed.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["exports/u1/a.json", "exports/u1/b.json"]);
    assert_eq!(listed[1].bytes, 1);
    assert!(listed[0].last_modified_ms > 1_600_000_000_000);
    assert_eq!(objects.list("").await.expect("list all").len(), 3);

    objects.delete("exports/u1/a.json").await.expect("delete");
    objects
        .delete("exports/u1/a.json")
        .await
        .expect("delete again");
    assert_eq!(objects.get("exports/u1/a.json").await.expect("get"), None);
    assert_eq!(objects.list("exports/u1").await.expect("list").len(), 1);

    // A file larger than one part goes up in parts and comes back byte for byte.
    let scratch = tempfile::tempdir().expect("tempdir");
    let big: Vec<u8> = (0..bb_objects::PART_BYTES + 1000)
        .map(|i| (i % 251) as u8)
        .collect();
    let source = scratch.path().join("big.bin");
    std::fs::write(&source, &big).expect("write");
    let stored = objects
        .put_file("backups/b1/big.bin", &source)
        .await
        .expect("put_file");
    assert_eq!(stored.bytes, big.len() as u64);
    let back = scratch.path().join("back.bin");
    let size = objects
        .get_to_file("backups/b1/big.bin", &back)
        .await
        .expect("get_to_file");
    assert_eq!(size, Some(big.len() as u64));
    assert!(std::fs::read(&back).expect("read") == big);
    assert_eq!(
        objects
            .get_to_file("backups/b1/none", &back)
            .await
            .expect("get_to_file"),
        None
    );
    // Written once: a second manifest under the same key is refused.
    objects
        .put_new("backups/b1/manifest.json", Bytes::from_static(b"{}"))
        .await
        .expect("put_new");
    let again = objects
        .put_new("backups/b1/manifest.json", Bytes::from_static(b"{\"x\":1}"))
        .await
        .expect_err("a second put_new");
    assert!(
        matches!(
            again,
            ObjectsError::Store(object_store::Error::AlreadyExists { .. })
        ),
        "{again}"
    );
    objects.delete("backups/b1/big.bin").await.expect("delete");
    objects
        .delete("backups/b1/manifest.json")
        .await
        .expect("delete");

    for bad in ["../x", "/abs", "a//b", "a/./b"] {
        let error = objects
            .put(bad, Bytes::from_static(b"x"))
            .await
            .expect_err(bad);
        assert!(matches!(error, ObjectsError::Key { .. }), "{bad}: {error}");
    }
}

#[tokio::test]
async fn local_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", dir.path().join("objects").display());
    let objects = Objects::from_config(Some(&url), &[]).expect("local store");
    exercise(&objects).await;
    // Confined to its directory: the object is a file under it.
    assert!(dir.path().join("objects/exports/u1/b.json").is_file());
    exercise(&Objects::memory()).await;
}

#[tokio::test]
async fn s3_against_moto() {
    let moto = start_moto();
    assert_eq!(
        http(moto.addr, "PUT", "/bb-test").expect("create the bucket"),
        200
    );
    let endpoint = format!("http://{}", moto.addr);
    let options: Vec<(String, String)> = [
        ("endpoint", endpoint.as_str()),
        ("region", "us-east-1"),
        ("access_key_id", "test"),
        ("secret_access_key", "test"),
        ("allow_http", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();

    let objects = Objects::from_config(Some("s3://bb-test"), &options).expect("s3 store");
    assert_eq!(objects.location(), "s3://bb-test");
    exercise(&objects).await;

    // A prefix in the URL keeps this store's keys under it.
    let prefixed =
        Objects::from_config(Some("s3://bb-test/tenant-a"), &options).expect("prefixed store");
    prefixed
        .put("exports/u2/x.json", Bytes::from_static(b"x"))
        .await
        .expect("put under a prefix");
    let all = objects.list("tenant-a").await.expect("list");
    let keys: Vec<&str> = all.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["tenant-a/exports/u2/x.json"]);
    assert_eq!(
        prefixed.list("exports").await.expect("list")[0].key,
        "exports/u2/x.json"
    );

    // A bucket that does not exist is an error from the store, not a panic.
    let missing = Objects::from_config(Some("s3://no-such-bucket"), &options).expect("config");
    assert!(matches!(
        missing.put("a", Bytes::from_static(b"a")).await,
        Err(ObjectsError::Store(_))
    ));
}
