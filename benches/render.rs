//! Micro-benchmarks: the Markdown pipeline on a long post and on the most hostile texts we
//! can build at the 2 MB limit, and the post page's template.
//!
//!     cargo bench --bench render
//!
//! The hostile texts must each render (or be refused) in well under a second: rendering
//! happens on every save, and a slow one ties up a blocking thread.

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
        b.iter(|| quire::render::render(black_box(&markdown)).unwrap())
    });
}

/// The largest text the editor and imports accept.
const LIMIT: usize = quire::domain::posts::MAX_MARKDOWN_BYTES;

/// `unit` repeated to just under the 2 MB limit.
fn fill(unit: &str) -> String {
    fill_within(unit, LIMIT - 1)
}

/// `unit` repeated to at most `room` bytes.
fn fill_within(unit: &str, room: usize) -> String {
    unit.repeat(room / unit.len())
}

/// Texts that try to make each step of the pipeline slow, each close to 2 MB.
fn hostile_texts() -> Vec<(&'static str, String)> {
    use quire::render::{MAX_DEPTH, MAX_FOOTNOTES, MAX_HEADINGS};
    let deep_divs = format!(
        "{}x{}\n\n",
        "<div>".repeat(MAX_DEPTH - 1),
        "</div>".repeat(MAX_DEPTH - 1)
    );
    let deep_quote = format!("{}x\n\n", "> ".repeat(MAX_DEPTH - 1));
    let deep_list: String = (0..MAX_DEPTH / 2 - 1)
        .map(|i| format!("{}- x\n", "  ".repeat(i)))
        .collect();
    let headings = {
        let mut text = "# same heading\n".repeat(MAX_HEADINGS);
        text.push_str(&fill("word ")[text.len()..]);
        text
    };
    let footnotes = {
        let mut text: String = (0..MAX_FOOTNOTES)
            .map(|i| format!("a[^{i}]\n\n[^{i}]: b\n\n"))
            .collect();
        text.push_str(&fill("word ")[text.len()..]);
        text
    };
    let code = format!(
        "```rust\n{}```\n",
        fill_within(
            "fn main() { let x = \"hello\"; println!(\"{x}\"); } // note\n",
            LIMIT - 16
        )
    );
    let many_blocks = fill("```python\ndef f(x):\n    return {'a': [x, 2]}\n```\n\n");
    vec![
        ("2 MB of 63-deep <div>s", fill(&deep_divs)),
        ("2 MB of 63-deep quotes (refused)", fill(&deep_quote)),
        (
            "3,000 63-deep quotes",
            fill_within(&deep_quote, 3_000 * deep_quote.len()),
        ),
        ("2 MB of 31-deep lists", fill(&deep_list)),
        ("1,000 equal headings in 2 MB", headings),
        ("1,000 footnotes in 2 MB", footnotes),
        ("one 2 MB code block", code),
        ("2 MB of small code blocks", many_blocks),
        ("2 MB of emphasis openers", fill("*a _b ")),
        ("2 MB of unclosed links", fill("[a](")),
        (
            "2 MB table (refused)",
            fill("| a | b | c |\n|---|---|---|\n"),
        ),
        ("2 MB of inline HTML (refused)", fill("<b><i>x</i></b> ")),
        (
            "a table of 170,000 cells",
            format!(
                "|a|b|c|d|e|f|g|h|i|j|\n|-|-|-|-|-|-|-|-|-|-|\n{}",
                "|x|y|z|x|y|z|x|y|z|x|\n".repeat(17_000)
            ),
        ),
        (
            "100,000 nested quotes (refused)",
            format!("{}x", ">".repeat(100_000)),
        ),
        ("100,000 nested <div>s (refused)", "<div>".repeat(100_000)),
        ("1,001 headings (refused)", "# h\n".repeat(MAX_HEADINGS + 1)),
    ]
}

fn render_hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile texts");
    group.sample_size(10);
    let texts = hostile_texts();
    let wrong: Vec<&str> = texts
        .iter()
        .filter(|(name, text)| quire::render::render(text).is_err() != name.ends_with("(refused)"))
        .map(|(name, _)| *name)
        .collect();
    assert!(
        wrong.is_empty(),
        "refused or not, unlike their names: {wrong:?}"
    );
    for (name, text) in texts {
        assert!(text.len() <= LIMIT, "{name} is over the limit");
        group.bench_function(name, |b| b.iter(|| quire::render::render(black_box(&text))));
    }
    group.finish();
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
            1,
            None,
        ))
        .unwrap_or_else(|_| panic!("the demo post exists"));
    c.bench_function("post page template", |b| {
        b.iter(|| quire::web::post_page::render_post(&state, black_box(found.clone())).unwrap())
    });
}

criterion_group!(benches, render_pipeline, render_hostile, post_page_template);
criterion_main!(benches);
