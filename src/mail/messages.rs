//! The words of every message the site sends. Links are absolute, built from the base URL.

use super::{Letterhead, Mail};

pub fn confirm_account(head: &Letterhead, to: &str, token: &str) -> Mail {
    let Letterhead { site, base_url, .. } = head;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Confirm your account at {site}"),
        body: format!(
            "Welcome to {site}!\n\nTo confirm your email address and start your account, \
             open this link within 24 hours:\n\n{base_url}/account/confirm?token={token}\n\n\
             If you did not sign up, ignore this message; nothing happens without the link.\n"
        ),
    }
}

/// Sent instead of a confirmation when the address already has an account, so the sign-up
/// form cannot be used to discover who is registered.
pub fn signup_attempt_on_existing(head: &Letterhead, to: &str) -> Mail {
    let Letterhead { site, base_url, .. } = head;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Someone tried to sign up at {site} with your address"),
        body: format!(
            "Someone, perhaps you, tried to create an account at {site} with this email \
             address, which already has one.\n\nTo sign in: {base_url}/account/login\n\
             Forgot your password? {base_url}/account/reset\n\n\
             If it was not you, you can ignore this message; your account is unchanged.\n"
        ),
    }
}

pub fn reset_password(head: &Letterhead, to: &str, token: &str) -> Mail {
    let Letterhead { site, base_url, .. } = head;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Reset your password at {site}"),
        body: format!(
            "To choose a new password for your account at {site}, open this link within \
             an hour. It works once:\n\n{base_url}/account/reset/new?token={token}\n\n\
             Choosing a new password signs you out everywhere else.\n\
             If you did not ask for this, ignore this message; your password is unchanged.\n"
        ),
    }
}

pub fn sign_in_link(head: &Letterhead, to: &str, token: &str) -> Mail {
    let Letterhead { site, base_url, .. } = head;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Your sign-in link for {site}"),
        body: format!(
            "To sign in to {site}, open this link within 15 minutes. It works once:\n\n\
             {base_url}/account/login/link?token={token}\n\n\
             If you did not ask for this, ignore this message; nobody can sign in without it.\n"
        ),
    }
}

pub fn invitation(head: &Letterhead, to: &str, inviter: &str, role: &str, token: &str) -> Mail {
    let Letterhead { site, base_url, .. } = head;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("{inviter} invited you to {site}"),
        body: format!(
            "{inviter} invited you to join {site} as {role}.\n\nTo accept, choose your \
             name and password within 7 days:\n\n{base_url}/account/invite?token={token}\n"
        ),
    }
}

pub fn confirm_new_email(head: &Letterhead, to: &str, token: &str) -> Mail {
    let Letterhead { site, base_url, .. } = head;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Confirm your new email address at {site}"),
        body: format!(
            "To use this address for your account at {site}, open this link within 24 \
             hours:\n\n{base_url}/account/email/confirm?token={token}\n\n\
             If you did not ask for this, ignore this message.\n"
        ),
    }
}

pub fn email_change_requested(head: &Letterhead, to: &str, new_email: &str) -> Mail {
    let site = &head.site;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Your email address at {site} is being changed"),
        body: format!(
            "Someone signed in to your account at {site} asked to change its email address \
             to {new_email}. The change happens only when the link sent to that address is \
             followed.\n\nIf this was not you, change your password now; that also signs \
             out every other session.\n"
        ),
    }
}

/// Told to the old address when staff move an account to another one.
pub fn email_changed_by_staff(head: &Letterhead, to: &str, new_email: &str, by: &str) -> Mail {
    let site = &head.site;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Your email address at {site} was changed"),
        body: format!(
            "{by}, who manages accounts at {site}, changed the email address of your account              from this address to {new_email}. Mail about the account now goes there, and              links sent here before no longer work.\n\nIf you did not expect this, reply to \
             this message or contact the site's owner.\n"
        ),
    }
}
