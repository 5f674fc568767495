//! `quire export`: the whole site as one `quire-export` JSON document, posts streamed in
//! chunks so memory stays flat however large the site is.

use std::io::Write;

use chrono::NaiveDateTime;

use super::format::{
    self, AuthorDoc, CommentDoc, GoneDoc, MediaDoc, PostDoc, RedirectDoc, RevisionDoc, SettingsDoc,
    TagDoc,
};
use super::format_date;
use crate::db::Db;
use crate::domain::{comments, gone, media, posts, redirects, revisions, settings, tags, users};
use crate::error::AppError;

const CHUNK: i64 = 500;

/// How much an export wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub authors: usize,
    pub tags: usize,
    pub posts: usize,
    pub redirects: usize,
    pub media: usize,
    pub revisions: usize,
    pub comments: usize,
}

pub fn export(db: &Db, out: &mut dyn Write, now: NaiveDateTime) -> anyhow::Result<ExportReport> {
    let (settings, authors, tags, redirects, library, gone_paths) = db.run_blocking(|conn| {
        Ok::<_, AppError>((
            settings::load(conn)?,
            users::all_records(conn)?,
            tags::all(conn)?,
            redirects::all(conn)?,
            media::all(conn)?,
            gone::all(conn)?,
        ))
    })?;
    let changed = db.run_blocking(users::updated_times)?;
    let mut report = ExportReport {
        authors: authors.len(),
        tags: tags.len(),
        redirects: redirects.len(),
        media: library.len(),
        ..ExportReport::default()
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
            staff_two_factor: s.staff_two_factor,
            content_api_key_required: s.content_api_key_required,
            logo_url: s.logo_url,
            feed_items: s.feed_items,
            icon_url: s.icon_url,
            social: s.social,
            updated_at: Some(format_date(s.updated_at)),
        }),
        "authors": authors.into_iter().map(|u| AuthorDoc {
            updated_at: changed.get(&u.slug).copied().map(format_date),
            slug: u.slug,
            name: u.display_name,
            email: u.email,
            bio: u.bio,
            website: u.website,
            role: u.role.to_string(),
            password_hash: u.password_hash,
        }).collect::<Vec<_>>(),
        "tags": tags.into_iter().map(|t| TagDoc {
            updated_at: Some(format_date(t.updated_at)),
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
        "media": library.into_iter().map(|m| MediaDoc {
            variants: m.variant_widths(),
            crops: serde_json::from_str(&m.crops).unwrap_or_default(),
            stem: m.stem,
            extension: m.extension,
            original_name: m.original_name,
            width: m.width,
            height: m.height,
            bytes: m.bytes,
            alt: m.alt,
            created_at: format_date(m.created_at),
        }).collect::<Vec<_>>(),
        "gone": gone_paths.into_iter().map(|(path, at)| GoneDoc {
            path,
            deleted_at: format_date(at),
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
                comments_open: record.comments_open,
                deleted_at: record.deleted_at.map(format_date),
            };
            if report.posts > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &doc)?;
            report.posts += 1;
        }
    }
    // Revisions last: they name posts by slug, so an import finds the posts first.
    out.write_all(b"],\"revisions\":[")?;
    let mut after = 0;
    loop {
        let chunk = db.run_blocking(|conn| revisions::exported_after(conn, after, CHUNK))?;
        let Some(last) = chunk.last() else { break };
        after = last.revision.id;
        for exported in chunk {
            let doc = RevisionDoc {
                post: exported.post_slug,
                title: exported.revision.title,
                markdown: exported.revision.markdown,
                created_at: format_date(exported.revision.created_at),
                author: exported.author_slug,
            };
            if report.revisions > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &doc)?;
            report.revisions += 1;
        }
    }
    // Comments after the posts they are under, each after the one it answers.
    out.write_all(b"],\"comments\":[")?;
    let mut after = 0;
    loop {
        let chunk = db.run_blocking(|conn| comments::exported_after(conn, after, CHUNK))?;
        let Some((last, _)) = chunk.last() else { break };
        after = last.id;
        for (comment, post) in chunk {
            let doc = CommentDoc {
                id: comment.id.to_string(),
                post,
                parent: comment.parent_id.map(|p| p.to_string()),
                author_name: comment.author_name,
                author_email: comment.author_email,
                author_url: comment.author_url,
                markdown: comment.markdown,
                status: comment.status.to_string(),
                created_at: format_date(comment.created_at),
                edited_at: comment.edited_at.map(format_date),
                staff: comment.staff,
            };
            if report.comments > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &doc)?;
            report.comments += 1;
        }
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(report)
}
