//! `quire export`: the whole site as one `quire-export` JSON document, posts streamed in
//! chunks so memory stays flat however large the site is.

use std::io::Write;

use chrono::NaiveDateTime;

use super::format::{self, AuthorDoc, PostDoc, RedirectDoc, SettingsDoc, TagDoc};
use super::format_date;
use crate::db::Db;
use crate::domain::{posts, redirects, settings, tags, users};
use crate::error::AppError;

const CHUNK: i64 = 500;

/// How much an export wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub authors: usize,
    pub tags: usize,
    pub posts: usize,
    pub redirects: usize,
}

pub fn export(db: &Db, out: &mut dyn Write, now: NaiveDateTime) -> anyhow::Result<ExportReport> {
    let (settings, authors, tags, redirects) = db.run_blocking(|conn| {
        Ok::<_, AppError>((
            settings::load(conn)?,
            users::all_records(conn)?,
            tags::all(conn)?,
            redirects::all(conn)?,
        ))
    })?;
    let mut report = ExportReport {
        authors: authors.len(),
        tags: tags.len(),
        redirects: redirects.len(),
        posts: 0,
    };

    let header = serde_json::json!({
        "format": format::EXPORT,
        "version": format::VERSION,
        "exported_at": format_date(now),
        "settings": settings.map(|s| SettingsDoc {
            title: s.title,
            description: s.description,
            language: s.language,
            timezone: s.timezone.name().to_string(),
            posts_per_page: s.posts_per_page,
            navigation: s.navigation,
            discourage_search: s.discourage_search,
            logo_url: s.logo_url,
            feed_items: s.feed_items,
            icon_url: s.icon_url,
            social: s.social,
        }),
        "authors": authors.into_iter().map(|u| AuthorDoc {
            slug: u.slug,
            name: u.display_name,
            email: u.email,
            bio: u.bio,
            website: u.website,
            role: u.role.to_string(),
            password_hash: u.password_hash,
        }).collect::<Vec<_>>(),
        "tags": tags.into_iter().map(|t| TagDoc {
            slug: t.slug,
            name: t.name,
            description: t.description,
            meta_title: t.meta_title,
            meta_description: t.meta_description,
        }).collect::<Vec<_>>(),
        "redirects": redirects.into_iter().map(|r| RedirectDoc {
            from: r.from_path,
            to: r.to_path,
            code: r.code,
        }).collect::<Vec<_>>(),
    });
    // The header object, reopened to append the posts array.
    let header = serde_json::to_string(&header)?;
    out.write_all(&header.as_bytes()[..header.len() - 1])?;
    out.write_all(b",\"posts\":[")?;

    let mut after = 0;
    loop {
        let posts::Records {
            posts: records,
            authors,
            tags,
        } = db.run_blocking(|conn| posts::records_after(conn, after, CHUNK))?;
        let Some(last) = records.last() else { break };
        after = last.id;
        for record in records {
            let author_slugs: Vec<String> = authors
                .get(&record.id)
                .map(|list| list.iter().map(|a| a.slug.clone()).collect())
                .unwrap_or_default();
            let doc = PostDoc {
                author: author_slugs.first().cloned(),
                authors: author_slugs,
                tags: tags
                    .get(&record.id)
                    .map(|list| list.iter().map(|t| t.slug.clone()).collect())
                    .unwrap_or_default(),
                slug: record.slug,
                title: record.title,
                excerpt: record.custom_excerpt,
                published_at: record.published_at.map(format_date),
                updated_at: Some(format_date(record.updated_at)),
                created_at: Some(format_date(record.created_at)),
                markdown: record.markdown,
                kind: record.kind.to_string(),
                status: record.status.to_string(),
                featured: record.featured,
                feature_image: record.feature_image,
                feature_image_alt: record.feature_image_alt,
                meta_title: record.meta_title,
                meta_description: record.meta_description,
                canonical_url: record.canonical_url,
                noindex: record.noindex,
                deleted_at: record.deleted_at.map(format_date),
            };
            if report.posts > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &doc)?;
            report.posts += 1;
        }
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(report)
}
