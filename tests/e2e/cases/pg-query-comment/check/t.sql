select id, v from t
