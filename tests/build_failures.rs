//! A broken spec fails generation with one clear message naming the spec file and the
//! operation or JSON pointer. These drive the very code build.rs runs.

#[path = "../build/apis.rs"]
#[allow(dead_code)]
mod apis;
#[path = "../build/generate.rs"]
#[allow(dead_code)]
mod generate;

const GOOD_OP: &str = r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /things/{id}:
    post:
      operationId: makeThing
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      requestBody:
        content:
          application/vnd.acme+json:
            schema: { $ref: "#/components/schemas/Thing" }
      responses:
        "201":
          description: ok
          content:
            application/vnd.acme+json:
              schema: { $ref: "#/components/schemas/Thing" }
        "400":
          description: bad
          content:
            application/vnd.acme+json:
              schema: { $ref: "#/components/schemas/Error" }
components:
  schemas:
    Thing: { type: object, properties: { name: { type: string } } }
    Error: { type: object, properties: { errorName: { type: string } } }
"##;

fn fails(yaml: &str) -> generate::SpecError {
    match generate::generate("spec/broken.yaml", yaml) {
        Ok(_) => panic!("expected the spec to be rejected"),
        Err(e) => e,
    }
}

#[test]
fn a_valid_spec_with_a_vendor_media_type_generates() {
    let g = generate::generate("spec/ok.yaml", GOOD_OP).unwrap_or_else(|e| panic!("{e}"));
    assert!(g.code.contains("pub async fn make_thing"));
    assert_eq!(g.operations[0].request_media_type.as_deref(), Some("application/vnd.acme+json"));
}

/// Tokens as formatted source, as build.rs writes them.
fn pretty(tokens: proc_macro2::TokenStream) -> String {
    prettyplease::unparse(&syn::parse2(tokens).expect("generated tokens parse as a file"))
}

#[test]
fn the_project_specs_generate() {
    let mut tables = Vec::new();
    for api in apis::APIS {
        let file = format!("{}/spec/{}.yaml", env!("CARGO_MANIFEST_DIR"), api.stem);
        let text = std::fs::read_to_string(&file).unwrap();
        let g = generate::generate(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        tables.push(generate::operation_table(api.variant, &g.operations));
    }
    // The ground floor's generated half: one module per API under the `Api` enum.
    let model = pretty(generate::api_enum(&apis::APIS, tables));
    assert!(model.contains("pub enum Api {") && model.contains("pub mod worldpay_v7 {"), "{model}");
    assert!(model.contains("Api::Adyen => &adyen::OPERATIONS"), "{model}");
}

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let e = fails("openapi: 3.0.3\ninfo: [unclosed\n");
    let msg = e.to_string();
    assert!(msg.starts_with("spec/broken.yaml"), "{msg}");
    assert!(msg.contains("not valid YAML") && msg.contains("line"), "{msg}");
}

#[test]
fn dangling_ref_names_operation_and_pointer() {
    let e = fails(&GOOD_OP.replace("#/components/schemas/Error", "#/components/schemas/Eror"));
    assert_eq!(e.operation.as_deref(), Some("makeThing"));
    assert_eq!(
        e.pointer.as_deref(),
        Some("/paths/~1things~1{id}/post/responses/400/content/application~1vnd.acme+json/schema")
    );
    assert!(e.to_string().contains("#/components/schemas/Eror"), "{e}");
    assert!(e.to_string().contains("did you mean \"#/components/schemas/Error\"?"), "{e}");
}

#[test]
fn missing_operation_id_names_method_and_path() {
    let e = fails(&GOOD_OP.replace("      operationId: makeThing\n", ""));
    assert_eq!(e.operation.as_deref(), Some("POST /things/{id}"));
    assert!(e.to_string().contains("missing operationId"), "{e}");
}

#[test]
fn duplicate_operation_id_is_named() {
    let two = GOOD_OP.replace("components:", "  /other:\n    get:\n      operationId: makeThing\n      responses:\n        \"200\": { description: ok }\ncomponents:");
    let e = fails(&two);
    assert!(e.to_string().contains("duplicate operationId"), "{e}");
}

#[test]
fn openapi_31_is_refused_with_the_reason() {
    let e = fails(&GOOD_OP.replace("openapi: 3.0.3", "openapi: 3.1.0"));
    assert_eq!(e.pointer.as_deref(), Some("/openapi"));
    assert!(e.to_string().contains("3.0.x only"), "{e}");
}

#[test]
fn differing_error_bodies_are_named_instead_of_panicking_in_progenitor() {
    let two_errors = GOOD_OP.replace(
        "        \"400\":\n",
        "        \"401\":\n          description: denied\n          content:\n            application/json:\n              schema: { $ref: \"#/components/schemas/Thing\" }\n        \"400\":\n",
    );
    let e = fails(&two_errors);
    assert_eq!(e.operation.as_deref(), Some("makeThing"));
    assert!(e.to_string().contains("different body schemas"), "{e}");
}

#[test]
fn body_less_error_next_to_a_typed_one_is_named() {
    let mixed = GOOD_OP.replace("        \"400\":\n", "        \"500\": { description: down }\n        \"400\":\n");
    let e = fails(&mixed);
    assert_eq!(e.operation.as_deref(), Some("makeThing"));
    assert!(e.to_string().contains("error response 500 has no body"), "{e}");
}

#[test]
fn non_json_body_is_named() {
    let xml =
        GOOD_OP.replacen("application/vnd.acme+json:\n            schema", "application/xml:\n            schema", 1);
    let e = fails(&xml);
    assert_eq!(e.operation.as_deref(), Some("makeThing"));
    assert!(e.to_string().contains("only JSON bodies"), "{e}");
}

#[test]
fn an_unknown_action_word_names_the_operation_and_the_vocabulary() {
    let typo = GOOD_OP.replace("operationId: makeThing", "operationId: makeThing\n      x-payconform-action: setle");
    let e = fails(&typo);
    assert_eq!(e.operation.as_deref(), Some("makeThing"));
    assert_eq!(e.pointer.as_deref(), Some("/paths/~1things~1{id}/post/x-payconform-action"));
    assert!(e.message.contains("\"setle\"") && e.message.contains("\"settle\""), "{e}");
}

#[test]
fn an_action_word_used_twice_is_named() {
    let twice = GOOD_OP
        .replace("operationId: makeThing", "operationId: makeThing\n      x-payconform-action: settle")
        .replace("components:", TWIN_OP);
    let e =
        fails(&twice.replace("operationId: otherThing", "operationId: otherThing\n      x-payconform-action: settle"));
    assert!(e.message.contains("\"settle\" is already operation"), "{e}");
}

#[test]
fn a_next_action_naming_no_operation_is_named() {
    let dangling = GOOD_OP.replace(
        "          description: ok\n",
        "          description: ok\n          x-payconform-next: { \"acme:settle\": settleThing }\n",
    );
    let e = fails(&dangling);
    assert_eq!(e.operation.as_deref(), Some("makeThing"));
    assert!(e.message.contains("\"settleThing\", which is not an operation of this spec"), "{e}");
    let fine = dangling.replace("settleThing", "makeThing");
    let g = generate::generate("spec/ok.yaml", &fine).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        g.operations[0].responses[0],
        ("201".to_string(), vec![("acme:settle".into(), Some("makeThing".into()))])
    );
    // `null`: documented, its operation outside this spec.
    let outside = dangling.replace("settleThing", "null");
    let g = generate::generate("spec/ok.yaml", &outside).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.operations[0].responses[0], ("201".to_string(), vec![("acme:settle".into(), None)]));
    let e = fails(&dangling.replace("settleThing", "7"));
    assert!(e.message.contains("must name an operationId, or be null"), "{e}");
}

#[test]
fn documented_fields_must_name_an_operation_with_a_body_and_list_paths() {
    let with = |block: &str| format!("{GOOD_OP}x-payconform-documented-fields:\n{block}");
    generate::generate("spec/ok.yaml", &with("  makeThing: [name, a.b]\n")).unwrap_or_else(|e| panic!("{e}"));
    let e = fails(&with("  nothing: [name]\n"));
    assert_eq!(e.operation.as_deref(), Some("nothing"));
    assert!(e.message.contains("names no operation of this spec with a request body"), "{e}");
    let e = fails(&with("  makeThing: [name, \"a..b\"]\n"));
    assert_eq!(e.operation.as_deref(), Some("makeThing"));
    assert!(e.message.contains("dotted field paths"), "{e}");
    let e = fails(&with("  makeThing: name\n"));
    assert!(e.message.contains("dotted field paths"), "{e}");
}

/// A second operation, inserted before `components:`.
const TWIN_OP: &str = r##"  /others:
    post:
      operationId: otherThing
      responses:
        "204": { description: done }
components:"##;

#[test]
fn the_operation_table_names_each_operation_once_in_the_enum_and_the_rows() {
    let g = generate::generate("spec/ok.yaml", &GOOD_OP.replace("components:", TWIN_OP)).unwrap();
    let table = pretty(generate::operation_table("WorldpayV7", &g.operations));
    assert!(table.contains("pub enum Op {"), "{table}");
    assert!(table.contains("pub const ALL: [Op; 2] = [Op::OtherThing, Op::MakeThing];"), "{table}");
    assert!(table.contains("pub static OPERATIONS: [crate::operation::OperationInfo; 2]"), "{table}");
    assert_eq!(table.matches("operation_id: \"makeThing\"").count(), 1, "{table}");
    assert!(table.contains("request_media_type: Some(\"application/vnd.acme+json\")"), "{table}");
}

/// The broken-spec example in docs/specs.md is what a build prints for that edit.
#[test]
fn the_documented_spec_error_is_the_real_one() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/specs.md")).unwrap();
    let shown = docs.lines().find(|l| l.starts_with("error: spec/adyen-payment-v40.yaml")).expect("an example error");
    let file = "spec/adyen-payment-v40.yaml";
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/adyen-payment-v40.yaml")).unwrap();
    let broken = text.replacen(
        "{ $ref: \"#/components/schemas/CancelRequest\" }",
        "{ $ref: \"#/components/schemas/CancelReq\" }",
        1,
    );
    assert_ne!(broken, text, "the spec has the ref the example breaks");
    let Err(e) = generate::generate(file, &broken) else { panic!("a dangling ref fails") };
    assert_eq!(format!("error: {e}"), shown);
}
