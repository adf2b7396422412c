//! The catalogue served to the canvas, as a golden file.

#[test]
fn catalogue_json_is_stable() {
    insta::assert_json_snapshot!("catalogue", bb_strategy::catalogue::to_json());
}
