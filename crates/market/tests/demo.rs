//! The bundled demo datasets load from the binary itself, once.

use bb_market::datasets::stored_quality;
use bb_market::demo::{DEMO_FILES, SOURCE, load_demo};
use bb_store::Db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_datasets_load_once_without_files_or_network() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("demo.db").display()
    ))
    .await
    .unwrap();
    db.migrate().await.unwrap();

    let first = load_demo(&db).await.unwrap();
    let specs: Vec<String> = first.iter().map(|d| d.spec()).collect();
    assert_eq!(
        specs,
        vec![
            "BTC-USD:1d",
            "BTC-PERP:1m",
            "ADA-BTC:5m",
            "DASH-BTC:5m",
            "ETC-BTC:5m",
            "ETH-BTC:5m",
            "LTC-BTC:5m",
            "TRX-BTC:5m",
            "XLM-BTC:5m",
            "ZEC-BTC:5m"
        ]
    );
    assert!(first.iter().all(|d| d.source == SOURCE));
    assert_eq!(first[0].row_count, 2723);
    assert_eq!(first[1].row_count, 45_031);
    assert_eq!(first[2].row_count, 5720);
    for d in &first {
        assert!(d.row_count > 2000, "{}", d.spec());
        assert!(!d.provenance.is_empty());
        let q = stored_quality(d).unwrap_or_else(|| panic!("{} has a quality report", d.spec()));
        assert_eq!(q.rows as i64, d.row_count);
    }
    // the Yahoo file's unterminated last line is in its stored report
    let yahoo = stored_quality(&first[0]).unwrap();
    assert_eq!(yahoo.file.unwrap().unterminated_last_line, Some(2724));
    // the altcoin pairs came from gzip files, and their real gaps are reported
    let dash = stored_quality(&first[3]).unwrap();
    assert_eq!(dash.file.unwrap().compression, bb_data::Compression::Gzip);
    assert_eq!(stored_quality(&first[2]).unwrap().gaps.count, 5);

    // the stored candles are the file's
    let file = bb_data::parse_bytes(DEMO_FILES[0].bytes, &bb_data::ReadOptions::default())
        .unwrap()
        .candles;
    assert_eq!(
        db.candles().load(&first[0].id, None, None).await.unwrap(),
        file
    );

    // again: nothing new is written
    let chunks_before = db.candles().chunks(&first[1].id).await.unwrap();
    let second = load_demo(&db).await.unwrap();
    assert_eq!(
        second.iter().map(|d| &d.id).collect::<Vec<_>>(),
        first.iter().map(|d| &d.id).collect::<Vec<_>>()
    );
    assert_eq!(db.candles().list_datasets().await.unwrap().len(), 10);
    assert_eq!(
        db.candles().chunks(&first[1].id).await.unwrap(),
        chunks_before
    );
    db.close().await;
}
