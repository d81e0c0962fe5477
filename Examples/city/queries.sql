-- The demo's questions to the city federation, as analyst alice (`make demo` runs them
-- with fedquery and checks every answer against the pooled computation). One query per
-- paragraph; a line `-- expect: denied` marks a query a department refuses; a line
-- `-- protocol: paillier` runs it under threshold Paillier instead of secure sum.

-- Average treatment cost of residents over 65, by district (every department approves).
SELECT district, COUNT(*), AVG(cost), AVG(days) FROM visits WHERE age > 65 GROUP BY district

-- The same under threshold Paillier.
-- protocol: paillier
SELECT district, COUNT(*), AVG(cost), AVG(days) FROM visits WHERE age > 65 GROUP BY district

-- A histogram of patients' ages in ten-year bands.
SELECT WIDTH_BUCKET(age, 0, 100, 10), COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 0, 100, 10)

-- How cost grows with age: a regression (the ethics-approved study; Paillier only).
-- protocol: paillier
SELECT REGR_SLOPE(cost, age), REGR_INTERCEPT(cost, age), COUNT(*) FROM visits

-- Grouping by sex: no department allows it (East Clinic: too few patients per cell).
-- expect: denied
SELECT sex, COUNT(*) FROM visits GROUP BY sex

-- Households the city supports, by district: the Civil-Affairs Bureau's allowance and
-- the Housing Office's subsidy (the `assistance` dataset, held by those two only).
SELECT district, COUNT(*), AVG(amount), AVG(members) FROM assistance GROUP BY district

-- The same under threshold Paillier: the Civil-Affairs Bureau allows secure sum only.
-- protocol: paillier
-- expect: denied
SELECT district, COUNT(*), AVG(amount), AVG(members) FROM assistance GROUP BY district
