DROP TABLE interest_waivers;
