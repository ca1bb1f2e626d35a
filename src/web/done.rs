//! What just happened, told on the page she lands on after a form: each action redirects with
//! `?done=<what>` and the page shows that sentence (`done.<what>` in the catalogues) at the top ("Pago registrado — su recibo va por
//! SMS"). Only the sentences listed here can be shown: a link cannot make Pallay say anything else.

use actix_web::HttpResponse;

/// The sentences; each is `done.<key>` in the catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    MemberCreated,
    MemberSaved,
    MemberAnonymized,
    ConsentsSaved,
    FundCreated,
    ContributionRecorded,
    LoanRequested,
    LoanApproved,
    LoanRejected,
    LoanCancelled,
    LoanDisbursed,
    RepaymentRecorded,
    /// Recorded, and her receipt is queued (SMS, email or both).
    RepaymentRecordedReceipt,
    RepaymentReversed,
    LoanWrittenOff,
    TrainingSaved,
    AttendanceSaved,
    CommitteeSaved,
    ActionSaved,
    NoticesQueued,
    UserSaved,
    OrganizationSaved,
    BooksClosed,
    BooksReopened,
    RescheduleRequested,
    RescheduleApproved,
    RescheduleRejected,
}

impl Done {
    pub const ALL: &'static [Done] = &[
        Done::MemberCreated,
        Done::MemberSaved,
        Done::MemberAnonymized,
        Done::ConsentsSaved,
        Done::FundCreated,
        Done::ContributionRecorded,
        Done::LoanRequested,
        Done::LoanApproved,
        Done::LoanRejected,
        Done::LoanCancelled,
        Done::LoanDisbursed,
        Done::RepaymentRecorded,
        Done::RepaymentRecordedReceipt,
        Done::RepaymentReversed,
        Done::LoanWrittenOff,
        Done::TrainingSaved,
        Done::AttendanceSaved,
        Done::CommitteeSaved,
        Done::ActionSaved,
        Done::NoticesQueued,
        Done::UserSaved,
        Done::OrganizationSaved,
        Done::BooksClosed,
        Done::BooksReopened,
        Done::RescheduleRequested,
        Done::RescheduleApproved,
        Done::RescheduleRejected,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Done::MemberCreated => "member_created",
            Done::MemberSaved => "member_saved",
            Done::MemberAnonymized => "member_anonymized",
            Done::ConsentsSaved => "consents_saved",
            Done::FundCreated => "fund_created",
            Done::ContributionRecorded => "contribution_recorded",
            Done::LoanRequested => "loan_requested",
            Done::LoanApproved => "loan_approved",
            Done::LoanRejected => "loan_rejected",
            Done::LoanCancelled => "loan_cancelled",
            Done::LoanDisbursed => "loan_disbursed",
            Done::RepaymentRecorded => "repayment_recorded",
            Done::RepaymentRecordedReceipt => "repayment_recorded_receipt",
            Done::RepaymentReversed => "repayment_reversed",
            Done::LoanWrittenOff => "loan_written_off",
            Done::TrainingSaved => "training_saved",
            Done::AttendanceSaved => "attendance_saved",
            Done::CommitteeSaved => "committee_saved",
            Done::ActionSaved => "action_saved",
            Done::NoticesQueued => "notices_queued",
            Done::UserSaved => "user_saved",
            Done::OrganizationSaved => "organization_saved",
            Done::BooksClosed => "books_closed",
            Done::BooksReopened => "books_reopened",
            Done::RescheduleRequested => "reschedule_requested",
            Done::RescheduleApproved => "reschedule_approved",
            Done::RescheduleRejected => "reschedule_rejected",
        }
    }

    /// What a request's query string says was done (`?done=`), if it is one of the list.
    pub fn from_query(query: &str) -> Option<Done> {
        let value = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "done")?
            .1;
        Done::ALL.iter().copied().find(|d| d.key() == value)
    }
}

/// The redirect after a form that did `what`: to `path`, which then says so.
pub fn see_done(path: &str, what: Done) -> HttpResponse {
    let separator = if path.contains('?') { '&' } else { '?' };
    super::see_other(&format!("{path}{separator}done={}", what.key()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_sentences_are_read_from_a_link() {
        assert_eq!(Done::from_query("done=loan_approved"), Some(Done::LoanApproved));
        assert_eq!(
            Done::from_query("status=x&done=repayment_recorded"),
            Some(Done::RepaymentRecorded)
        );
        assert_eq!(Done::from_query("done=anything_else"), None);
        assert_eq!(Done::from_query("done="), None);
        assert_eq!(Done::from_query(""), None);
    }

    #[test]
    fn every_sentence_is_in_both_catalogues() {
        for lang in [crate::i18n::Lang::Es, crate::i18n::Lang::En] {
            let t = crate::i18n::Tr::new(lang);
            for done in Done::ALL {
                // A missing sentence would show its bare key.
                assert_ne!(
                    t.of("done", done.key()),
                    done.key(),
                    "done.{} missing in {lang:?}",
                    done.key()
                );
            }
        }
    }
}
