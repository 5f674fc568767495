//! `quire export --format wxr`: the site as a WordPress export (WXR 1.2), which WordPress's
//! own importer reads, so moving on from Quire is as easy as moving in. Posts and pages in
//! every status, their authors, tags (as WordPress tags), excerpts, featured (as sticky)
//! covers (as attachments with `_thumbnail_id`, by their full address) and comments. The text is
//! the HTML Quire renders, which is what WordPress stores. Posts are written in chunks, so
//! memory stays flat however large the site.

use std::io::Write;

use chrono::NaiveDateTime;

use super::export::ExportReport;
use crate::db::Db;
use crate::domain::posts::{self, PostStatus};
use crate::domain::{comments, settings, tags, users};
use crate::error::AppError;

const CHUNK: i64 = 200;
/// Attachment ids are kept apart from post ids.
const ATTACHMENT_IDS: i64 = 1_000_000_000;

/// Text escaped for an XML element or attribute.
fn text(raw: &str) -> String {
    quick_xml::escape::escape(raw).into_owned()
}

/// Any text as CDATA; `]]>` inside is split across two sections.
fn cdata(raw: &str) -> String {
    format!("<![CDATA[{}]]>", raw.replace("]]>", "]]]]><![CDATA[>"))
}

fn wp_date(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn rfc2822(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc2822()
}

/// An address made absolute against the site's.
fn absolute(base_url: &str, address: &str) -> String {
    if address.starts_with('/') {
        format!("{}{address}", base_url.trim_end_matches('/'))
    } else {
        address.to_string()
    }
}

pub fn export_wxr(
    db: &Db,
    out: &mut dyn Write,
    base_url: &str,
    now: NaiveDateTime,
) -> anyhow::Result<ExportReport> {
    let (settings, people, tags) = db.run_blocking(|conn| {
        Ok::<_, AppError>((
            settings::current(conn, now)?,
            users::all_records(conn)?,
            tags::all(conn)?,
        ))
    })?;
    let base = base_url.trim_end_matches('/');
    let mut report = ExportReport::default();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8" ?>"#)?;
    writeln!(
        out,
        r#"<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">"#
    )?;
    writeln!(out, "<channel>")?;
    writeln!(out, "<title>{}</title>", text(&settings.title))?;
    writeln!(out, "<link>{}</link>", text(base))?;
    writeln!(
        out,
        "<description>{}</description>",
        text(&settings.description)
    )?;
    writeln!(out, "<pubDate>{}</pubDate>", rfc2822(now))?;
    writeln!(out, "<language>{}</language>", text(&settings.language))?;
    writeln!(out, "<wp:wxr_version>1.2</wp:wxr_version>")?;
    writeln!(out, "<wp:base_site_url>{}</wp:base_site_url>", text(base))?;
    writeln!(out, "<wp:base_blog_url>{}</wp:base_blog_url>", text(base))?;
    for (i, person) in people.iter().filter(|p| p.role.is_staff()).enumerate() {
        writeln!(
            out,
            "<wp:author><wp:author_id>{}</wp:author_id><wp:author_login>{}</wp:author_login>\
             <wp:author_email>{}</wp:author_email><wp:author_display_name>{}</wp:author_display_name>\
             <wp:author_first_name></wp:author_first_name><wp:author_last_name></wp:author_last_name></wp:author>",
            i + 1,
            cdata(&person.slug),
            cdata(&person.email),
            cdata(&person.display_name)
        )?;
        report.authors += 1;
    }
    for (i, tag) in tags.iter().enumerate() {
        writeln!(
            out,
            "<wp:tag><wp:term_id>{}</wp:term_id><wp:tag_slug>{}</wp:tag_slug><wp:tag_name>{}</wp:tag_name>\
             <wp:tag_description>{}</wp:tag_description></wp:tag>",
            i + 1,
            cdata(&tag.slug),
            cdata(&tag.name),
            cdata(&tag.description)
        )?;
        report.tags += 1;
    }

    let mut after = 0;
    loop {
        let posts::Records {
            posts: records,
            authors,
            tags,
        } = db.run_blocking(|conn| posts::records_after(conn, after, CHUNK))?;
        let Some(last) = records.last() else { break };
        after = last.id;
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let conversations = db.run_blocking(|conn| comments::of_posts(conn, &ids))?;
        for record in records {
            let html = crate::render::render(&record.markdown)
                .map(|r| r.html.as_str().to_string())
                .unwrap_or_else(|_| text(&record.markdown));
            let status = match (record.deleted_at, record.status) {
                (Some(_), _) => "trash",
                (None, PostStatus::Published) => "publish",
                (None, PostStatus::Scheduled) => "future",
                (None, PostStatus::Draft) => "draft",
            };
            let date = record.published_at.unwrap_or(record.created_at);
            let creator = authors
                .get(&record.id)
                .and_then(|list| list.first())
                .map(|a| a.slug.clone())
                .unwrap_or_default();
            let kind = record.kind.to_string();
            let link = format!("{base}/{}/", record.slug);
            let cover_id = ATTACHMENT_IDS + record.id;
            write!(
                out,
                "<item><title>{}</title><link>{}</link><pubDate>{}</pubDate><dc:creator>{}</dc:creator>\
                 <guid isPermaLink=\"false\">{}</guid><description></description>\
                 <content:encoded>{}</content:encoded><excerpt:encoded>{}</excerpt:encoded>\
                 <wp:post_id>{}</wp:post_id><wp:post_date>{}</wp:post_date><wp:post_date_gmt>{}</wp:post_date_gmt>\
                 <wp:post_modified_gmt>{}</wp:post_modified_gmt>\
                 <wp:comment_status>{}</wp:comment_status><wp:ping_status>closed</wp:ping_status>\
                 <wp:post_name>{}</wp:post_name><wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>\
                 <wp:menu_order>0</wp:menu_order><wp:post_type>{kind}</wp:post_type><wp:post_password></wp:post_password>\
                 <wp:is_sticky>{}</wp:is_sticky>",
                cdata(&record.title),
                text(&link),
                rfc2822(date),
                cdata(&creator),
                text(&link),
                cdata(&html),
                cdata(record.custom_excerpt.as_deref().unwrap_or_default()),
                record.id,
                wp_date(date),
                wp_date(date),
                wp_date(record.updated_at),
                if record.comments_open {
                    "open"
                } else {
                    "closed"
                },
                cdata(&record.slug),
                u8::from(record.featured),
            )?;
            for tag in tags.get(&record.id).into_iter().flatten() {
                write!(
                    out,
                    "<category domain=\"post_tag\" nicename=\"{}\">{}</category>",
                    text(&tag.slug),
                    cdata(&tag.name)
                )?;
            }
            let meta = [
                ("_yoast_wpseo_title", record.meta_title.clone()),
                ("_yoast_wpseo_metadesc", record.meta_description.clone()),
                ("_yoast_wpseo_canonical", record.canonical_url.clone()),
                (
                    "_yoast_wpseo_meta-robots-noindex",
                    record.noindex.then(|| "1".to_string()),
                ),
                (
                    "_thumbnail_id",
                    record.feature_image.as_ref().map(|_| cover_id.to_string()),
                ),
            ];
            for (key, value) in meta {
                if let Some(value) = value {
                    write!(
                        out,
                        "<wp:postmeta><wp:meta_key>{key}</wp:meta_key><wp:meta_value>{}</wp:meta_value></wp:postmeta>",
                        cdata(&value)
                    )?;
                }
            }
            for comment in conversations.get(&record.id).into_iter().flatten() {
                let approved = match comment.status {
                    comments::Status::Approved => "1",
                    comments::Status::Pending => "0",
                    comments::Status::Spam => "spam",
                    _ => "trash",
                };
                write!(
                    out,
                    "<wp:comment><wp:comment_id>{}</wp:comment_id><wp:comment_author>{}</wp:comment_author>\
                     <wp:comment_author_email>{}</wp:comment_author_email><wp:comment_author_url>{}</wp:comment_author_url>\
                     <wp:comment_date>{}</wp:comment_date><wp:comment_date_gmt>{}</wp:comment_date_gmt>\
                     <wp:comment_content>{}</wp:comment_content><wp:comment_approved>{approved}</wp:comment_approved>\
                     <wp:comment_type>comment</wp:comment_type><wp:comment_parent>{}</wp:comment_parent>\
                     <wp:comment_user_id>0</wp:comment_user_id></wp:comment>",
                    comment.id,
                    cdata(&comment.author_name),
                    text(&comment.author_email),
                    text(&comment.author_url),
                    wp_date(comment.created_at),
                    wp_date(comment.created_at),
                    cdata(&comment.html),
                    comment.parent_id.unwrap_or(0),
                )?;
                report.comments += 1;
            }
            writeln!(out, "</item>")?;
            // The cover, as the attachment WordPress expects, by its full address.
            if let Some(cover) = &record.feature_image {
                let address = absolute(base, cover);
                let alt = record.feature_image_alt.clone().unwrap_or_default();
                writeln!(
                    out,
                    "<item><title>{}</title><guid isPermaLink=\"false\">{}</guid>\
                     <wp:post_id>{cover_id}</wp:post_id><wp:post_date_gmt>{}</wp:post_date_gmt>\
                     <wp:post_name>{}</wp:post_name><wp:status>inherit</wp:status>\
                     <wp:post_parent>{}</wp:post_parent><wp:post_type>attachment</wp:post_type>\
                     <wp:attachment_url>{}</wp:attachment_url>\
                     <wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key><wp:meta_value>{}</wp:meta_value></wp:postmeta></item>",
                    cdata(&alt),
                    text(&address),
                    wp_date(date),
                    cdata(&format!("{}-cover", record.slug)),
                    record.id,
                    text(&address),
                    cdata(&alt),
                )?;
            }
            report.posts += 1;
        }
    }
    writeln!(out, "</channel>\n</rss>")?;
    out.flush()?;
    Ok(report)
}
