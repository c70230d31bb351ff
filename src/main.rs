fn main() {
    let r = payconform::spec::lint_embedded_examples();
    for p in &r.problems { println!("{p}"); }
    println!("checked {} skipped {} allowed {} problems {}", r.checked, r.skipped.len(), r.allowed.len(), r.problems.len());
}
