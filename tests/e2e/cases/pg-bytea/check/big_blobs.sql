select * from big_blobs
