//! Authors as the content API lists them: staff with at least one post readers can see, as
//! on the site (nobody else has an author page).

super::listing::public_listing! {
    table: users,
    link: post_authors,
    owner: user_id,
    row: crate::domain::users::User,
    name: display_name,
}
