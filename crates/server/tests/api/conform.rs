//! Checks an answer against its schema in the committed spec, strictly: every required
//! field present, every value of its declared type, and no field the spec does not declare.
//! So a report field renamed in Rust, or a serde attribute the schema does not show, fails a
//! test instead of showing as a blank in the browser.

use serde_json::{Map, Value};

/// `value` against `components.schemas.<name>` of the server's spec.
pub fn assert_conforms(name: &str, value: &Value) {
    let spec: Value = serde_json::from_str(&bb_server::openapi::spec_json()).unwrap();
    let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    if let Err(e) = check(&spec, &schema, value, "$") {
        panic!("the answer does not match the spec's {name}: {e}\n{value}");
    }
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(spec, &spec["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The object schemas an `allOf` (with `$ref`s, nested `allOf`s and `oneOf` members) can
/// stand for, each merged into one `{properties, required}`.
fn alternatives(spec: &Value, schema: &Value) -> Vec<(Map<String, Value>, Vec<String>)> {
    let schema = resolve(spec, schema);
    if let Some(all) = schema["allOf"].as_array() {
        let mut out = vec![(Map::new(), Vec::new())];
        for member in all {
            let mut next = Vec::new();
            for (props, req) in &out {
                for (p, r) in alternatives(spec, member) {
                    let mut props = props.clone();
                    props.extend(p);
                    let mut req = req.clone();
                    req.extend(r);
                    next.push((props, req));
                }
            }
            out = next;
        }
        return out;
    }
    if let Some(one) = schema["oneOf"].as_array() {
        return one.iter().flat_map(|m| alternatives(spec, m)).collect();
    }
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let req = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    vec![(props, req)]
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn check(spec: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if let Some(one) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let errors: Vec<String> = one
            .iter()
            .filter_map(|m| check(spec, m, value, at).err())
            .collect();
        return if errors.len() < one.len() {
            Ok(())
        } else {
            Err(format!(
                "{at}: matches no alternative ({})",
                errors.join(" | ")
            ))
        };
    }
    if schema.get("allOf").is_some() {
        if value.is_null() {
            return Err(format!("{at}: null where an object is required"));
        }
        let mut errors = Vec::new();
        for (props, req) in alternatives(spec, schema) {
            let object =
                serde_json::json!({ "type": "object", "properties": props, "required": req });
            match check(spec, &object, value, at) {
                Ok(()) => return Ok(()),
                Err(e) => errors.push(e),
            }
        }
        return Err(errors.join(" | "));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        return Err(format!("{at}: {value} is not {}", types.join(" or ")));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !value.is_null()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(object) = value.as_object()
        && let Some(props) = schema["properties"].as_object()
    {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Err(format!("{at}: `{name}` is missing"));
            }
        }
        for (key, v) in object {
            match props.get(key) {
                Some(s) => check(spec, s, v, &format!("{at}.{key}"))?,
                None => return Err(format!("{at}: `{key}` is not in the spec")),
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            check(spec, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[test]
fn the_check_refuses_unknown_missing_and_mistyped_fields() {
    let spec: Value = serde_json::from_str(&bb_server::openapi::spec_json()).unwrap();
    let point = serde_json::json!({ "$ref": "#/components/schemas/EquityPoint" });
    let good = serde_json::json!({ "ts": 1, "equity": 10.0, "drawdown_pct": 0.0 });
    assert!(check(&spec, &point, &good, "$").is_ok());
    let extra = serde_json::json!({ "ts": 1, "equity": 10.0, "drawdown_pct": 0.0, "x": 1 });
    assert!(
        check(&spec, &point, &extra, "$")
            .unwrap_err()
            .contains("`x`")
    );
    let missing = serde_json::json!({ "ts": 1, "equity": 10.0 });
    assert!(
        check(&spec, &point, &missing, "$")
            .unwrap_err()
            .contains("drawdown_pct")
    );
    let mistyped = serde_json::json!({ "ts": "1", "equity": 10.0, "drawdown_pct": 0.0 });
    assert!(check(&spec, &point, &mistyped, "$").is_err());
    // through allOf (a flattened struct) as well
    let settings = serde_json::json!({ "$ref": "#/components/schemas/BacktestRequest" });
    let request = serde_json::json!({
        "dataset_id": "d", "timeframe": "1d", "initial_capital": 1.0, "fee_pct": 0.1,
        "slippage_bps": 5.0, "fill": "next_open", "allow_short": true, "gap_policy": "leave",
    });
    assert!(check(&spec, &settings, &request, "$").is_ok());
    let mut wrong = request.clone();
    wrong["fill"] = serde_json::json!("sometime");
    assert!(check(&spec, &settings, &wrong, "$").is_err());
}
