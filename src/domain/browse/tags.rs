//! Tags as the content API lists them: those with at least one post readers can see, as on
//! the site (an empty tag has no page).

super::listing::public_listing! {
    table: tags,
    link: post_tags,
    owner: tag_id,
    row: crate::domain::tags::Tag,
    name: name,
}
