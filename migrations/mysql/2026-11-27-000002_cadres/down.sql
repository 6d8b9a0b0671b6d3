DROP TABLE designations;
DROP TABLE cadres;
