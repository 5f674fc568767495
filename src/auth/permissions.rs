//! What each role may do. Every admin handler asks `Role::can` (through `Staff::require`)
//! before acting; templates only hide what the server would refuse anyway.

use crate::domain::users::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Open the admin at all.
    UseAdmin,
    /// Write posts and save them as drafts (their own).
    WriteDrafts,
    /// Publish, schedule and unpublish their own posts.
    PublishOwn,
    /// Edit, publish and delete anyone's posts and pages.
    EditAnyPost,
    ManageTags,
    UploadMedia,
    /// Invite staff, change their roles, suspend and remove them.
    ManageStaff,
    ManageMembers,
    ManageSettings,
    ManageRedirects,
    /// Read the audit log.
    ViewAuditLog,
    /// Hand the site to another admin.
    TransferOwnership,
    /// See the job queue, retry and discard jobs.
    ManageJobs,
    /// Approve, hold and remove readers' comments; bar members from commenting.
    ModerateComments,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Permission::UseAdmin,
        Permission::WriteDrafts,
        Permission::PublishOwn,
        Permission::EditAnyPost,
        Permission::ManageTags,
        Permission::UploadMedia,
        Permission::ManageStaff,
        Permission::ManageMembers,
        Permission::ManageSettings,
        Permission::ManageRedirects,
        Permission::ViewAuditLog,
        Permission::TransferOwnership,
        Permission::ManageJobs,
        Permission::ModerateComments,
    ];
}

impl Role {
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => permission != TransferOwnership,
            Role::Editor => matches!(
                permission,
                UseAdmin
                    | WriteDrafts
                    | PublishOwn
                    | EditAnyPost
                    | ManageTags
                    | UploadMedia
                    | ModerateComments
            ),
            Role::Author => matches!(
                permission,
                UseAdmin | WriteDrafts | PublishOwn | UploadMedia
            ),
            Role::Contributor => matches!(permission, UseAdmin | WriteDrafts | UploadMedia),
            Role::Member => false,
        }
    }

    /// Whether someone with this role may publish a post they are an author of.
    pub fn can_publish(self, is_author: bool) -> bool {
        self.can(Permission::EditAnyPost) || (is_author && self.can(Permission::PublishOwn))
    }

    /// Whether someone with this role may change a post (given whether they are among its
    /// authors and whether it is published). Contributors keep to their own drafts.
    pub fn can_edit_post(self, is_author: bool, published: bool) -> bool {
        if self.can(Permission::EditAnyPost) {
            return true;
        }
        match self {
            Role::Author => is_author,
            Role::Contributor => is_author && !published,
            _ => false,
        }
    }

    /// The roles this role may give when inviting or changing staff.
    pub fn can_assign(self, role: Role) -> bool {
        self.can(Permission::ManageStaff) && role != Role::Owner && role != Role::Member
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_as_documented() {
        // Rows: roles; columns: Permission::ALL in order. Mirrors the README's table.
        let expected: [(Role, [bool; 14]); 6] = [
            (Role::Owner, [true; 14]),
            (
                Role::Admin,
                [
                    true, true, true, true, true, true, true, true, true, true, true, false, true,
                    true,
                ],
            ),
            (
                Role::Editor,
                [
                    true, true, true, true, true, true, false, false, false, false, false, false,
                    false, true,
                ],
            ),
            (
                Role::Author,
                [
                    true, true, true, false, false, true, false, false, false, false, false, false,
                    false, false,
                ],
            ),
            (
                Role::Contributor,
                [
                    true, true, false, false, false, true, false, false, false, false, false,
                    false, false, false,
                ],
            ),
            (Role::Member, [false; 14]),
        ];
        for (role, row) in expected {
            for (permission, allowed) in Permission::ALL.into_iter().zip(row) {
                assert_eq!(role.can(permission), allowed, "{role:?} {permission:?}");
            }
        }
    }

    #[test]
    fn post_rules_follow_ownership() {
        assert!(Role::Editor.can_edit_post(false, true));
        assert!(Role::Author.can_edit_post(true, true));
        assert!(
            !Role::Author.can_edit_post(false, false),
            "not someone else's post"
        );
        assert!(Role::Contributor.can_edit_post(true, false));
        assert!(
            !Role::Contributor.can_edit_post(true, true),
            "not once published"
        );
        assert!(!Role::Member.can_edit_post(true, false));
        assert!(Role::Author.can_publish(true));
        assert!(!Role::Author.can_publish(false));
        assert!(
            !Role::Contributor.can_publish(true),
            "contributors never publish"
        );
        assert!(Role::Editor.can_publish(false));
    }

    #[test]
    fn only_managers_assign_staff_roles_and_never_owner() {
        assert!(Role::Admin.can_assign(Role::Editor));
        assert!(Role::Owner.can_assign(Role::Admin));
        assert!(!Role::Admin.can_assign(Role::Owner));
        assert!(!Role::Editor.can_assign(Role::Author));
        assert!(!Role::Owner.can_assign(Role::Member));
    }
}
