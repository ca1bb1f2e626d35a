DROP TABLE action_notes, committee_actions, meeting_attendees, meetings, committee_members, committees CASCADE;
