//! Micro-benchmarks: the Markdown pipeline on a long post, and the post page's template.
//!
//!     cargo bench --bench render

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

/// A long post: headings, prose, fenced code in several languages, tables and footnotes.
fn long_post() -> String {
    let section = r#"
## Measuring a small machine

Most pages on a publication change when an editor saves, not when a reader visits. Rendering
the article when it is saved and keeping the result means a visit costs no more than reading a
file, and that is the whole trick.[^note]

```rust
fn save(post: &mut Post, markdown: &str) {
    post.html = render(markdown);
    post.reading_minutes = reading_time(markdown);
}
```

| Page | Target | Why |
|:-----|-------:|:----|
| Article | under 50 ms | most visits land here |
| Home | under 80 ms | lists and pagination |

```python
def handler(request):
    return render_template("post.html", post=load(request.slug))
```

- [x] No third-party requests
- [ ] Every page validated

[^note]: A footnote with `code` and a [link](https://example.com/).
"#;
    section.repeat(12)
}

fn render_pipeline(c: &mut Criterion) {
    let markdown = long_post();
    c.bench_function("render pipeline, long post with code and tables", |b| {
        b.iter(|| quire::render::render(black_box(&markdown)))
    });
}

fn post_page_template(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().into_owned();
    let config = quire::config::Config::from_lookup(|name| match name {
        "QUIRE_DATA_DIR" => Some(data.clone()),
        "QUIRE_LOG" => Some("error".into()),
        _ => None,
    })
    .unwrap();
    let state = quire::startup::prepare(config).unwrap();
    quire::startup::fill_demo(&state).unwrap();
    let found = runtime
        .block_on(quire::web::public::post::find_post(
            &state,
            "the-anatomy-of-a-fast-web-page".into(),
        ))
        .unwrap_or_else(|_| panic!("the demo post exists"));
    c.bench_function("post page template", |b| {
        b.iter(|| quire::web::public::post::render_post(&state, black_box(found.clone())).unwrap())
    });
}

criterion_group!(benches, render_pipeline, post_page_template);
criterion_main!(benches);
