DROP TABLE attendances;
DROP TABLE training_organizations;
DROP TABLE trainings;
DROP TABLE topics;
