//! The media library's records: one row per uploaded image, naming the files stored for it
//! (`{stem}.{extension}`, `{stem}.webp` and `{stem}-{width}.…` variants) in the media
//! directory. The files themselves are written and removed by `web::admin::media`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{media, posts};
use crate::db::{DbConn, write_transaction};
use crate::render::{ImageSize, SafeHtml};

use std::collections::HashMap;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: i64,
    pub stem: String,
    pub extension: String,
    pub original_name: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub variants: String,
    pub crops: String,
    pub alt: String,
    pub uploaded_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl Media {
    /// The full-size image's address.
    pub fn url(&self) -> String {
        format!("/media/{}.{}", self.stem, self.extension)
    }

    /// The variant widths stored beside the full-size image.
    pub fn variant_widths(&self) -> Vec<u32> {
        serde_json::from_str(&self.variants).unwrap_or_default()
    }

    /// The aspect-ratio crops stored beside the image, as site paths.
    pub fn crop_urls(&self) -> Vec<String> {
        serde_json::from_str::<Vec<String>>(&self.crops)
            .unwrap_or_default()
            .into_iter()
            .map(|name| format!("/media/{}-{name}.{}", self.stem, self.extension))
            .collect()
    }

    /// Every file name stored for this image.
    pub fn file_names(&self) -> Vec<String> {
        let mut names = vec![
            format!("{}.{}", self.stem, self.extension),
            format!("{}.webp", self.stem),
        ];
        for width in self.variant_widths() {
            names.push(format!("{}-{width}.webp", self.stem));
            names.push(format!("{}-{width}.{}", self.stem, self.extension));
        }
        for url in self.crop_urls() {
            names.push(url.trim_start_matches("/media/").to_string());
        }
        names.sort();
        names.dedup();
        names
    }

    /// `srcset` values for the original format and for WebP, widest last.
    pub fn srcsets(&self) -> (String, String) {
        let entry = |suffix: &str, width: u32| format!("/media/{}{suffix} {width}w", self.stem);
        let mut original = Vec::new();
        let mut webp = Vec::new();
        for width in self.variant_widths() {
            original.push(entry(&format!("-{width}.{}", self.extension), width));
            webp.push(entry(&format!("-{width}.webp"), width));
        }
        let full = self.width.max(1) as u32;
        original.push(entry(&format!(".{}", self.extension), full));
        webp.push(entry(".webp", full));
        (original.join(", "), webp.join(", "))
    }

    /// The stem of a media address (`/media/{stem}.{ext}`), if it is one.
    pub fn stem_of(url: &str) -> Option<&str> {
        let name = url.strip_prefix("/media/")?;
        let (stem, _) = name.rsplit_once('.')?;
        (!stem.is_empty() && !stem.contains('/')).then_some(stem)
    }
}

/// How wide library images show in a post's text: its column, or the screen when narrower.
pub const CONTENT_SIZES: &str = "(max-width: 45rem) 100vw, 45rem";

/// The post's HTML with width, height and `srcset` on every library image it shows.
pub fn size_images(conn: &mut DbConn, html: &SafeHtml) -> QueryResult<SafeHtml> {
    let sources = html.image_sources("/media/");
    if sources.is_empty() {
        return Ok(html.clone());
    }
    let mut known = HashMap::new();
    for source in sources {
        if let Some(item) = Media::stem_of(&source)
            .map(|stem| by_stem(conn, stem))
            .transpose()?
            .flatten()
            // The address must name the library's own file, not some other extension.
            .filter(|item| item.url() == source)
        {
            let (srcset, _) = item.srcsets();
            known.insert(
                source,
                ImageSize {
                    width: item.width,
                    height: item.height,
                    srcset,
                    sizes: CONTENT_SIZES.into(),
                },
            );
        }
    }
    Ok(html.with_image_sizes(|source| known.get(source).cloned()))
}

/// A new image, its files already written.
pub struct NewMedia {
    pub stem: String,
    pub extension: String,
    pub original_name: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub variants: Vec<u32>,
    pub crops: Vec<String>,
    pub alt: String,
    pub uploaded_by: i64,
}

/// Records an upload; call inside the upload's transaction. Returns its id.
pub fn insert(conn: &mut DbConn, new: &NewMedia, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(media::table)
        .values((
            media::stem.eq(&new.stem),
            media::extension.eq(&new.extension),
            media::original_name.eq(&new.original_name),
            media::width.eq(new.width),
            media::height.eq(new.height),
            media::bytes.eq(new.bytes),
            media::variants
                .eq(serde_json::to_string(&new.variants).unwrap_or_else(|_| "[]".into())),
            media::crops.eq(serde_json::to_string(&new.crops).unwrap_or_else(|_| "[]".into())),
            media::alt.eq(&new.alt),
            media::uploaded_by.eq(new.uploaded_by),
            media::created_at.eq(now),
        ))
        .execute(conn)?;
    media::table
        .filter(media::stem.eq(&new.stem))
        .select(media::id)
        .first(conn)
}

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Media>> {
    media::table
        .find(id)
        .select(Media::as_select())
        .first(conn)
        .optional()
}

pub fn by_stem(conn: &mut DbConn, stem: &str) -> QueryResult<Option<Media>> {
    media::table
        .filter(media::stem.eq(stem))
        .select(Media::as_select())
        .first(conn)
        .optional()
}

/// One page of the library, newest first, those whose file name or alt text contains
/// `text`; also whether more follow.
pub fn page(
    conn: &mut DbConn,
    text: &str,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<Media>, bool)> {
    let mut query = media::table.into_boxed();
    if !text.trim().is_empty() {
        let pattern = crate::db::like_pattern(text.trim());
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(original_name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR lower(alt) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\')"),
        );
    }
    let mut rows: Vec<Media> = query
        .order((media::created_at.desc(), media::id.desc()))
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
        .select(Media::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// Every image, newest first, for choosing a cover: (stem, label).
pub fn choices(conn: &mut DbConn) -> QueryResult<Vec<Media>> {
    media::table
        .order((media::created_at.desc(), media::id.desc()))
        .limit(500)
        .select(Media::as_select())
        .load(conn)
}

pub fn set_alt(conn: &mut DbConn, id: i64, alt: &str) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        diesel::update(media::table.find(id))
            .set(media::alt.eq(alt))
            .execute(conn)
            .map(drop)
    })
}

/// The titles of posts and pages using the image, as a cover or in their text.
pub fn used_by(conn: &mut DbConn, item: &Media) -> QueryResult<Vec<String>> {
    let pattern = format!("%/media/{}%", item.stem);
    posts::table
        .filter(
            posts::feature_image
                .eq(item.url())
                .or(posts::markdown.like(pattern)),
        )
        .order(posts::id)
        .select(posts::title)
        .load(conn)
}

/// Removes the record; call inside the deletion's transaction, then remove the files.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    diesel::delete(media::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Media {
        Media {
            id: 1,
            stem: "a1b2".into(),
            extension: "jpg".into(),
            original_name: "beach.jpg".into(),
            width: 800,
            height: 600,
            bytes: 1000,
            variants: "[320,640]".into(),
            crops: "[\"1x1\"]".into(),
            alt: String::new(),
            uploaded_by: None,
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn srcsets_list_every_variant_then_the_full_size() {
        let (original, webp) = sample().srcsets();
        assert_eq!(
            original,
            "/media/a1b2-320.jpg 320w, /media/a1b2-640.jpg 640w, /media/a1b2.jpg 800w"
        );
        assert_eq!(
            webp,
            "/media/a1b2-320.webp 320w, /media/a1b2-640.webp 640w, /media/a1b2.webp 800w"
        );
        assert_eq!(sample().file_names().len(), 7);
        assert_eq!(sample().crop_urls(), ["/media/a1b2-1x1.jpg"]);
    }

    #[test]
    fn only_media_addresses_have_stems() {
        assert_eq!(Media::stem_of("/media/a1b2.jpg"), Some("a1b2"));
        assert_eq!(Media::stem_of("https://example.com/a.jpg"), None);
        assert_eq!(Media::stem_of("/media/../x.jpg"), None);
    }
}
