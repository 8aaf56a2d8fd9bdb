from tests.s3 import s3_server, s3_storage  # noqa: F401  the moto S3 server and a bucket per test
