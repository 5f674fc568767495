//! The admin's frame around every admin page: the sections the signed-in role may use
//! (the current one marked), the way back to the site, and the person with their account
//! and sign-out. `base.html` draws it instead of the public header and footer when a page's
//! layout carries one, so admin templates stay what they were: their content.

use crate::auth::csrf;
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::users::Role;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::respond::layout;
use crate::web::views::{Layout, NavLink};

/// What the frame shows besides the page.
pub struct AdminFrame {
    pub sections: Vec<NavLink>,
    pub name: String,
    pub role: &'static str,
    /// For the sign-out button.
    pub csrf: String,
}

/// Every admin section: its label, address, and the permission that opens it.
const SECTIONS: &[(&str, &str, Permission)] = &[
    ("Dashboard", "/admin", Permission::UseAdmin),
    ("Posts", "/admin/posts", Permission::WriteDrafts),
    ("Pages", "/admin/pages", Permission::WriteDrafts),
    ("Tags", "/admin/tags", Permission::ManageTags),
    ("Media", "/admin/media", Permission::UploadMedia),
    ("Comments", "/admin/comments", Permission::ModerateComments),
    ("Staff", "/admin/staff", Permission::ManageStaff),
    ("Members", "/admin/members", Permission::ManageMembers),
    ("Redirects", "/admin/redirects", Permission::ManageRedirects),
    ("Import", "/admin/import", Permission::ManageSettings),
    ("Jobs", "/admin/jobs", Permission::ManageJobs),
    ("Audit log", "/admin/audit", Permission::ViewAuditLog),
    ("Settings", "/admin/settings", Permission::ManageSettings),
    (
        "Integrations",
        "/admin/integrations",
        Permission::ManageSettings,
    ),
];

/// The sections `role` may use, with the one `path` belongs to marked (the longest
/// address it starts with; the dashboard only for itself).
pub fn sections(role: Role, path: &str) -> Vec<NavLink> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let current = SECTIONS
        .iter()
        .map(|(_, url, _)| *url)
        .filter(|url| path == *url || (*url != "/admin" && path.starts_with(&format!("{url}/"))))
        .max_by_key(|url| url.len());
    SECTIONS
        .iter()
        .filter(|(_, _, permission)| role.can(*permission))
        .map(|(label, url, _)| NavLink {
            label: (*label).to_string(),
            url: (*url).to_string(),
            current: current == Some(*url),
        })
        .collect()
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Administrator",
        Role::Editor => "Editor",
        Role::Author => "Author",
        Role::Contributor => "Contributor",
        Role::Member => "Member",
    }
}

/// The layout of an admin page at `path`, framed for `me`.
pub async fn admin_layout(
    state: &AppState,
    me: &Staff,
    path: &str,
    title: &str,
) -> AppResult<Layout> {
    let mut layout = layout(state, path, title).await?;
    layout.admin = Some(AdminFrame {
        sections: sections(me.role(), path),
        name: me.user().display_name.clone(),
        role: role_label(me.role()),
        csrf: csrf::token(me.session())?,
    });
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(role: Role, path: &str) -> Vec<String> {
        sections(role, path)
            .into_iter()
            .filter(|s| s.current)
            .map(|s| s.label)
            .collect()
    }

    #[test]
    fn each_role_sees_what_it_may_use_with_the_current_section_marked() {
        let labels = |role| -> Vec<String> {
            sections(role, "/admin")
                .into_iter()
                .map(|s| s.label)
                .collect()
        };
        assert_eq!(labels(Role::Owner).len(), SECTIONS.len());
        let contributor = labels(Role::Contributor);
        assert!(contributor.contains(&"Posts".to_string()));
        assert!(!contributor.contains(&"Settings".to_string()));
        assert!(!contributor.contains(&"Comments".to_string()));
        assert_eq!(current(Role::Owner, "/admin"), vec!["Dashboard"]);
        assert_eq!(current(Role::Owner, "/admin/posts/12"), vec!["Posts"]);
        assert_eq!(
            current(Role::Owner, "/admin/comments/settings?x=1"),
            vec!["Comments"]
        );
        assert_eq!(current(Role::Owner, "/admin/postsx"), Vec::<String>::new());
        assert_eq!(
            current(Role::Owner, "/admin/people/3"),
            Vec::<String>::new()
        );
    }
}
