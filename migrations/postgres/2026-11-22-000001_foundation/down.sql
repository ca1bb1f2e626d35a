DROP TABLE audit_log, login_attempts, api_tokens, sessions, user_organizations, member_organizations, users, members, organizations CASCADE;
