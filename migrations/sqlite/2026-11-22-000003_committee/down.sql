DROP TABLE action_notes;
DROP TABLE committee_actions;
DROP TABLE meeting_attendees;
DROP TABLE meetings;
DROP TABLE committee_members;
DROP TABLE committees;
