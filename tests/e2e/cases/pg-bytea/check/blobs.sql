select * from blobs
