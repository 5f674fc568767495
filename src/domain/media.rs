//! The media library's records: one row per uploaded image, naming the files stored for it
//! (`{stem}.{extension}`, `{stem}.webp` and `{stem}-{width}.…` variants) in the media
//! directory. The files themselves are written and removed by `web::admin::media`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::db::schema::{media, posts};
use crate::domain::audit::Object;
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::write::{self, Actor, WriteError};
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
        let crops: Vec<String> = serde_json::from_str(&self.crops).unwrap_or_default();
        file_names_of(&self.stem, &self.extension, &self.variant_widths(), &crops)
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

    /// The smallest stored copy (a variant, else the full-size WebP) with its width and
    /// height: what lists and pickers show.
    pub fn thumbnail(&self) -> (String, i32, i32) {
        match self.variant_widths().first() {
            Some(&width) => {
                let height = (i64::from(self.height) * i64::from(width)
                    / i64::from(self.width.max(1)))
                .max(1) as i32;
                (
                    format!("/media/{}-{width}.webp", self.stem),
                    width as i32,
                    height,
                )
            }
            None => (
                format!("/media/{}.webp", self.stem),
                self.width,
                self.height,
            ),
        }
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
    pub uploaded_by: Option<i64>,
}

/// Stores an upload's record; inside `add`'s transaction. Returns its id.
fn insert(conn: &mut DbConn, new: &NewMedia, now: NaiveDateTime) -> QueryResult<i64> {
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

/// The names of an image's files: the original, its WebP copy, each width's variants and
/// each crop.
pub fn file_names_of(stem: &str, extension: &str, widths: &[u32], crops: &[String]) -> Vec<String> {
    let mut names = vec![format!("{stem}.{extension}"), format!("{stem}.webp")];
    for width in widths {
        names.push(format!("{stem}-{width}.webp"));
        names.push(format!("{stem}-{width}.{extension}"));
    }
    for crop in crops {
        names.push(format!("{stem}-{crop}.{extension}"));
    }
    names.sort();
    names.dedup();
    names
}

/// Every image in the library, oldest first (for an export).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Media>> {
    media::table
        .order(media::id)
        .select(Media::as_select())
        .load(conn)
}

/// Brings in an image's record from an export (its files are copied by the caller); one
/// already here under the same stem is left as it is.
pub fn save_imported(
    conn: &mut DbConn,
    new: &NewMedia,
    created_at: NaiveDateTime,
) -> QueryResult<()> {
    if by_stem(conn, &new.stem)?.is_none() {
        insert(conn, new, created_at)?;
    }
    Ok(())
}

/// The image brought in from `name` (an import's old address or file), if any.
pub fn by_original_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<Media>> {
    media::table
        .filter(media::original_name.eq(name))
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
/// The orders the library offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaOrder {
    Newest,
    Oldest,
    Name,
    /// Largest file first.
    Size,
}

pub fn page(
    conn: &mut DbConn,
    (text, order): (&str, MediaOrder),
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<Media>, i64)> {
    let matching = || {
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
        query
    };
    let total: i64 = matching().count().get_result(conn)?;
    let query = match order {
        MediaOrder::Newest => matching().order((media::created_at.desc(), media::id.desc())),
        MediaOrder::Oldest => matching().order((media::created_at, media::id)),
        MediaOrder::Name => matching().order((
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(original_name)"),
            media::id,
        )),
        MediaOrder::Size => matching().order((media::bytes.desc(), media::id.desc())),
    };
    let rows = query
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(Media::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Every image, newest first, for choosing a cover: (stem, label).
pub fn choices(conn: &mut DbConn) -> QueryResult<Vec<Media>> {
    media::table
        .order((media::created_at.desc(), media::id.desc()))
        .limit(500)
        .select(Media::as_select())
        .load(conn)
}

/// The longest alt text accepted.
pub const MAX_ALT: usize = 300;

/// The one parser for an image's alt text.
pub fn parse_alt(raw: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let alt = errors.text("alt", "The alt text", raw, MAX_ALT);
    errors.into_result(alt)
}

/// Refuses unless `actor` may change `item`: editors and above any image, others only the
/// images they uploaded.
pub fn may_change(actor: &Actor, item: &Media) -> Result<(), WriteError> {
    actor.require(Permission::UploadMedia, "manage images")?;
    if !actor.can(Permission::EditAnyPost) && item.uploaded_by != actor.id {
        return Err(WriteError::Forbidden(
            "Your role allows changing only the images you uploaded.".into(),
        ));
    }
    Ok(())
}

/// Records an upload whose files are written already; returns its id. An image in the
/// library is on no public page until a post uses it.
pub fn add(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewMedia,
    now: NaiveDateTime,
) -> Result<i64, WriteError> {
    actor.require(Permission::UploadMedia, "upload images")?;
    write::transaction(conn, actor, now, |tx| {
        let id = insert(tx.conn, new, now)?;
        tx.audit("uploaded", (Object::Media, Some(id)), &new.original_name)?;
        Ok(id)
    })
}

/// Changes an image's alt text (posts keep the alt text they were saved with).
pub fn set_alt(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    alt: &str,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    write::transaction(conn, actor, now, |tx| {
        let item = by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        may_change(actor, &item)?;
        diesel::update(media::table.find(id))
            .set(media::alt.eq(alt))
            .execute(tx.conn)?;
        tx.audit("updated", (Object::Media, Some(id)), &item.original_name)?;
        Ok(())
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

/// Removes an image's record; the caller then removes its files. Pages that showed it must
/// be made again (they now show a missing image): the posts using it are recorded.
pub fn remove(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Media, WriteError> {
    write::transaction(conn, actor, now, |tx| {
        let item = by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        may_change(actor, &item)?;
        for post in posts_using(tx.conn, &item)? {
            tx.touch(Touched::Post(post));
        }
        tx.touch(Touched::Listings);
        diesel::delete(media::table.find(id)).execute(tx.conn)?;
        tx.audit("deleted", (Object::Media, Some(id)), &item.original_name)?;
        Ok(item)
    })
}

/// The ids of posts and pages using the image, as a cover or in their text.
fn posts_using(conn: &mut DbConn, item: &Media) -> QueryResult<Vec<i64>> {
    let pattern = format!("%/media/{}%", item.stem);
    posts::table
        .filter(
            posts::feature_image
                .eq(item.url())
                .or(posts::markdown.like(pattern)),
        )
        .select(posts::id)
        .load(conn)
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
