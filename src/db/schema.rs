// @generated-style table definitions; keep in step with migrations/ (both backends).

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    members (id) {
        id -> BigInt,
        first_name -> Text,
        last_name -> Text,
        dni -> Nullable<Text>,
        sex -> Text,
        birth_date -> Nullable<Date>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        language -> Text,
        sms_consent -> Bool,
        sms_consent_at -> Nullable<Timestamp>,
        sms_consent_by -> Nullable<BigInt>,
        email_consent -> Bool,
        email_consent_at -> Nullable<Timestamp>,
        email_consent_by -> Nullable<BigInt>,
        anonymized_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    member_organizations (member_id, organization_id) {
        member_id -> BigInt,
        organization_id -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        member_id -> Nullable<BigInt>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_organizations (user_id, organization_id) {
        user_id -> BigInt,
        organization_id -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        username -> Text,
        client_ip -> Text,
        succeeded -> Bool,
        at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        user_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<BigInt>,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
    }
}

diesel::joinable!(member_organizations -> members (member_id));
diesel::joinable!(member_organizations -> organizations (organization_id));
diesel::joinable!(user_organizations -> users (user_id));
diesel::joinable!(user_organizations -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    members,
    member_organizations,
    users,
    user_organizations,
    sessions,
    api_tokens,
    login_attempts,
    audit_log,
);
