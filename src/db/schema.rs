//! The one portable schema for both backends, maintained by hand (see `diesel.toml`).

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        slug -> Text,
        role -> Text,
        bio -> Text,
        website -> Text,
        password_hash -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        status -> Text,
        session_epoch -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<BigInt>,
        handle -> Text,
        state -> Text,
        device -> Text,
        remember -> Bool,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        idle_expires_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        user_id -> BigInt,
        payload -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// What each write touched, in commit order (see `domain::changes`).
    changes (id) {
        id -> BigInt,
        scope -> Text,
        object_id -> Nullable<BigInt>,
        at -> Timestamp,
    }
}

diesel::table! {
    /// Imports started from the admin (see `domain::imports`).
    imports (id) {
        id -> BigInt,
        file_name -> Text,
        stored_path -> Text,
        dry_run -> Bool,
        strict -> Bool,
        status -> Text,
        done -> BigInt,
        total -> BigInt,
        format -> Nullable<Text>,
        report -> Nullable<Text>,
        error -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The durable job queue (see `jobs`).
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        idempotency_key -> Text,
        status -> Text,
        run_after -> Timestamp,
        attempts -> Integer,
        max_attempts -> Integer,
        lease_until -> Nullable<Timestamp>,
        leased_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        kind -> Text,
        slug -> Text,
        title -> Text,
        custom_excerpt -> Nullable<Text>,
        excerpt -> Text,
        markdown -> Text,
        html -> Text,
        toc -> Text,
        reading_minutes -> Integer,
        word_count -> Integer,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        featured -> Bool,
        feature_image -> Nullable<Text>,
        feature_image_alt -> Nullable<Text>,
        meta_title -> Nullable<Text>,
        meta_description -> Nullable<Text>,
        canonical_url -> Nullable<Text>,
        noindex -> Bool,
        version -> Integer,
        deleted_at -> Nullable<Timestamp>,
        comments_open -> Bool,
        uuid -> Nullable<Text>,
    }
}

diesel::table! {
    post_authors (post_id, user_id) {
        post_id -> BigInt,
        user_id -> BigInt,
        sort_order -> Integer,
        /// A copy of the post's `published_at`, kept by triggers, for date-ordered listings.
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        meta_title -> Nullable<Text>,
        meta_description -> Nullable<Text>,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> BigInt,
        tag_id -> BigInt,
        sort_order -> Integer,
        /// A copy of the post's `published_at`, kept by triggers, for date-ordered listings.
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    site_settings (id) {
        id -> BigInt,
        title -> Text,
        description -> Text,
        language -> Text,
        timezone -> Text,
        posts_per_page -> Integer,
        navigation -> Text,
        updated_at -> Timestamp,
        discourage_search -> Bool,
        logo_url -> Nullable<Text>,
        feed_items -> Integer,
        icon_url -> Nullable<Text>,
        social -> Text,
        comments -> Text,
        staff_two_factor -> Bool,
        content_api_key_required -> Bool,
    }
}

diesel::table! {
    two_factor (user_id) {
        user_id -> BigInt,
        secret -> Text,
        last_step -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Comments under posts and pages (see `domain::comments`).
    comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        thread_id -> Nullable<BigInt>,
        depth -> Integer,
        user_id -> Nullable<BigInt>,
        author_name -> Text,
        author_email -> Text,
        author_url -> Text,
        staff -> Bool,
        status -> Text,
        reports -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        markdown -> Text,
        html -> Text,
        notify_replies -> Bool,
    }
}

diesel::table! {
    mail_opt_outs (user_id, kind) {
        user_id -> BigInt,
        kind -> Text,
    }
}

diesel::table! {
    post_likes (post_id, user_id) {
        post_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comment_reports (comment_id, user_id) {
        comment_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Guests' comments until their address is confirmed (see `domain::comments::guests`).
    guest_comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        author_name -> Text,
        author_email -> Text,
        author_url -> Text,
        markdown -> Text,
        html -> Text,
        notify_replies -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comment_bans (user_id) {
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> BigInt,
        post_id -> BigInt,
        author_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        title -> Text,
        markdown -> Text,
    }
}

diesel::table! {
    /// The editor's autosaved form, one per post and person (see `domain::posts::working_copy`).
    working_copies (post_id, user_id) {
        post_id -> BigInt,
        user_id -> BigInt,
        base_version -> Integer,
        form -> Text,
        saved_at -> Timestamp,
    }
}

diesel::table! {
    gone_paths (path) {
        path -> Text,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        actor_name -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<BigInt>,
        summary -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    redirects (id) {
        id -> BigInt,
        from_path -> Text,
        to_path -> Text,
        code -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        stem -> Text,
        extension -> Text,
        original_name -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
        variants -> Text,
        crops -> Text,
        alt -> Text,
        uploaded_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    integrations (id) {
        id -> BigInt,
        name -> Text,
        scopes -> Text,
        content_key_hash -> Text,
        admin_key_hash -> Text,
        admin_key_hint -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        integration_id -> BigInt,
        target_url -> Text,
        events -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_until -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        message_id -> Text,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        response_code -> Nullable<Integer>,
        duration_ms -> Nullable<Integer>,
        error -> Nullable<Text>,
        next_try_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(imports -> users (created_by));
diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> users (user_id));
diesel::joinable!(post_likes -> posts (post_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(post_authors -> posts (post_id));
diesel::joinable!(post_authors -> users (user_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_revisions -> users (author_id));
diesel::joinable!(webhooks -> integrations (integration_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    posts,
    post_authors,
    tags,
    post_tags,
    site_settings,
    redirects,
    sessions,
    account_tokens,
    changes,
    jobs,
    imports,
    post_revisions,
    working_copies,
    comments,
    comment_reports,
    comment_bans,
    guest_comments,
    post_likes,
    mail_opt_outs,
    two_factor,
    recovery_codes,
    gone_paths,
    audit_log,
    media,
    integrations,
    webhooks,
    webhook_deliveries,
);
