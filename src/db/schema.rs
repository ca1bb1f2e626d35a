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

diesel::table! {
    funds (id) {
        id -> BigInt,
        organization_id -> BigInt,
        name -> Text,
        rounding_unit -> BigInt,
        penalty_amount -> BigInt,
        penalty_after_days -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    journal_entries (id) {
        id -> BigInt,
        fund_id -> BigInt,
        date -> Date,
        kind -> Text,
        loan_id -> Nullable<BigInt>,
        reverses_entry_id -> Nullable<BigInt>,
        memo -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    journal_lines (id) {
        id -> BigInt,
        entry_id -> BigInt,
        account -> Text,
        debit -> BigInt,
        credit -> BigInt,
    }
}

diesel::table! {
    contributions (id) {
        id -> BigInt,
        fund_id -> BigInt,
        source -> Text,
        member_id -> Nullable<BigInt>,
        amount -> BigInt,
        date -> Date,
        note -> Nullable<Text>,
        entry_id -> BigInt,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    loans (id) {
        id -> BigInt,
        fund_id -> BigInt,
        member_id -> BigInt,
        principal -> BigInt,
        interest_method -> Text,
        rate_per_period -> Text,
        periods -> BigInt,
        frequency -> Text,
        first_due_date -> Date,
        grace_periods -> BigInt,
        purpose -> Nullable<Text>,
        status -> Text,
        requested_by -> BigInt,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        disbursed_on -> Nullable<Date>,
        written_off_on -> Nullable<Date>,
        status_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        settled_on -> Nullable<Date>,
    }
}

diesel::table! {
    installments (id) {
        id -> BigInt,
        loan_id -> BigInt,
        number -> BigInt,
        due_date -> Date,
        principal -> BigInt,
        interest -> BigInt,
        principal_paid -> BigInt,
        interest_paid -> BigInt,
        penalty_paid -> BigInt,
        paid_off_on -> Nullable<Date>,
        starts_on -> Nullable<Date>,
        superseded_on -> Nullable<Date>,
        carried_interest -> BigInt,
        carried_penalty -> BigInt,
    }
}

diesel::table! {
    repayments (id) {
        id -> BigInt,
        loan_id -> BigInt,
        amount -> BigInt,
        date -> Date,
        receipt_number -> Nullable<Text>,
        penalties -> BigInt,
        interest -> BigInt,
        principal -> BigInt,
        entry_id -> BigInt,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    repayment_allocations (repayment_id, installment_id) {
        repayment_id -> BigInt,
        installment_id -> BigInt,
        penalty -> BigInt,
        interest -> BigInt,
        principal -> BigInt,
    }
}

diesel::table! {
    repayment_reversals (id) {
        id -> BigInt,
        repayment_id -> BigInt,
        reason -> Text,
        date -> Date,
        entry_id -> BigInt,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, route, key) {
        user_id -> BigInt,
        route -> Text,
        key -> Text,
        request_hash -> Text,
        status -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    committees (id) {
        id -> BigInt,
        organization_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    committee_members (id) {
        id -> BigInt,
        committee_id -> BigInt,
        member_id -> Nullable<BigInt>,
        name -> Nullable<Text>,
        position -> Text,
        term_start -> Date,
        term_end -> Nullable<Date>,
    }
}

diesel::table! {
    meetings (id) {
        id -> BigInt,
        committee_id -> BigInt,
        date -> Date,
        place -> Nullable<Text>,
        minutes -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    meeting_attendees (meeting_id, committee_member_id) {
        meeting_id -> BigInt,
        committee_member_id -> BigInt,
    }
}

diesel::table! {
    committee_actions (id) {
        id -> BigInt,
        committee_id -> BigInt,
        meeting_id -> Nullable<BigInt>,
        description -> Text,
        responsible_member_id -> Nullable<BigInt>,
        responsible_name -> Nullable<Text>,
        due_date -> Date,
        status -> Text,
        status_reason -> Nullable<Text>,
        done_on -> Nullable<Date>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    action_notes (id) {
        id -> BigInt,
        action_id -> BigInt,
        date -> Date,
        text -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    topics (key) {
        key -> Text,
        name_es -> Text,
        name_en -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    trainings (id) {
        id -> BigInt,
        title -> Text,
        topic -> Text,
        date -> Date,
        place -> Nullable<Text>,
        facilitator -> Nullable<Text>,
        notes -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
        cancel_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    training_organizations (training_id, organization_id) {
        training_id -> BigInt,
        organization_id -> BigInt,
    }
}

diesel::table! {
    attendances (id) {
        id -> BigInt,
        training_id -> BigInt,
        member_id -> Nullable<BigInt>,
        name -> Nullable<Text>,
        sex -> Nullable<Text>,
        organization_id -> Nullable<BigInt>,
        status -> Text,
    }
}

diesel::table! {
    notices (id) {
        id -> BigInt,
        member_id -> BigInt,
        kind -> Text,
        channel -> Text,
        recipient -> Text,
        language -> Text,
        subject -> Nullable<Text>,
        body -> Text,
        html_body -> Nullable<Text>,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        lease_token -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        provider_message_id -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    inbound_sms (id) {
        id -> BigInt,
        from_phone -> Text,
        body -> Text,
        member_id -> Nullable<BigInt>,
        outcome -> Text,
        received_at -> Timestamp,
        digest -> Nullable<Text>,
    }
}

diesel::table! {
    import_uploads (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        training_id -> Nullable<BigInt>,
        filename -> Text,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    interest_waivers (id) {
        id -> BigInt,
        repayment_id -> BigInt,
        installment_id -> BigInt,
        amount -> BigInt,
    }
}

diesel::table! {
    fund_closures (id) {
        id -> BigInt,
        fund_id -> BigInt,
        date -> Date,
        closed_by -> BigInt,
        closed_at -> Timestamp,
        reopened_by -> Nullable<BigInt>,
        reopened_at -> Nullable<Timestamp>,
        reopen_reason -> Nullable<Text>,
    }
}

diesel::table! {
    loan_reschedules (id) {
        id -> BigInt,
        loan_id -> BigInt,
        date -> Date,
        rate_per_period -> Text,
        periods -> BigInt,
        frequency -> Text,
        first_due_date -> Date,
        grace_periods -> BigInt,
        reason -> Text,
        status -> Text,
        requested_by -> BigInt,
        requested_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        principal -> Nullable<BigInt>,
        carried_interest -> Nullable<BigInt>,
        carried_penalties -> Nullable<BigInt>,
        grade_at -> Nullable<Text>,
    }
}

diesel::table! {
    fund_balances (fund_id, account) {
        fund_id -> BigInt,
        account -> Text,
        debit -> BigInt,
        credit -> BigInt,
    }
}

diesel::table! {
    settled_loan_totals (fund_id, purpose) {
        fund_id -> BigInt,
        purpose -> Text,
        loans -> BigInt,
        principal -> BigInt,
        due -> BigInt,
        collected -> BigInt,
        through -> Date,
    }
}

diesel::table! {
    fund_revisions (fund_id) {
        fund_id -> BigInt,
        revision -> BigInt,
    }
}

diesel::table! {
    loan_revisions (loan_id) {
        loan_id -> BigInt,
        fund_id -> BigInt,
        revision -> BigInt,
    }
}

diesel::joinable!(member_organizations -> members (member_id));
diesel::joinable!(member_organizations -> organizations (organization_id));
diesel::joinable!(user_organizations -> users (user_id));
diesel::joinable!(user_organizations -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(funds -> organizations (organization_id));
diesel::joinable!(journal_lines -> journal_entries (entry_id));
diesel::joinable!(loans -> funds (fund_id));
diesel::joinable!(loans -> members (member_id));
diesel::joinable!(installments -> loans (loan_id));
diesel::joinable!(repayments -> loans (loan_id));
diesel::joinable!(repayment_allocations -> repayments (repayment_id));
diesel::joinable!(repayment_allocations -> installments (installment_id));
diesel::joinable!(repayment_reversals -> repayments (repayment_id));
diesel::joinable!(interest_waivers -> repayments (repayment_id));
diesel::joinable!(interest_waivers -> installments (installment_id));
diesel::joinable!(fund_closures -> funds (fund_id));
diesel::joinable!(loan_reschedules -> loans (loan_id));
diesel::joinable!(fund_balances -> funds (fund_id));
diesel::joinable!(settled_loan_totals -> funds (fund_id));

diesel::joinable!(committee_members -> committees (committee_id));
diesel::joinable!(meetings -> committees (committee_id));
diesel::joinable!(committee_actions -> committees (committee_id));
diesel::joinable!(action_notes -> committee_actions (action_id));

diesel::joinable!(training_organizations -> trainings (training_id));
diesel::joinable!(attendances -> trainings (training_id));
diesel::joinable!(notices -> members (member_id));

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
    funds,
    journal_entries,
    journal_lines,
    contributions,
    loans,
    installments,
    repayments,
    repayment_allocations,
    repayment_reversals,
    idempotency_keys,
    committees,
    committee_members,
    meetings,
    meeting_attendees,
    committee_actions,
    action_notes,
    topics,
    trainings,
    training_organizations,
    attendances,
    notices,
    inbound_sms,
    import_uploads,
    interest_waivers,
    fund_closures,
    loan_reschedules,
    fund_balances,
    settled_loan_totals,
    fund_revisions,
    loan_revisions,
);
