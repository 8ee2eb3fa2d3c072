# tools/bench/bench_sigv4_peer.py - peer timing for bench_sigv4.c: botocore's SigV4Auth signing the
# same DynamoDB GetItem as the C bench (request objects are built outside the timed loop).
# Prints "ns_per_op N" (median of 9 runs).
import datetime, time
from unittest import mock
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
token = ''.join(abc[(i * 7 + 3) % 64] for i in range(800))
body = ('{"TableName":"sessions","Key":{"sid":{"S":"3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},'
        '"ConsistentRead":true,"ProjectionExpression":"d,e,v"}')
auth = SigV4Auth(Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', token), 'dynamodb', 'us-east-1')

def mk():
    return AWSRequest(method='POST', url='https://dynamodb.us-east-1.amazonaws.com/', data=body,
                      headers={'Content-Type': 'application/x-amz-json-1.0',
                               'X-Amz-Target': 'DynamoDB_20120810.GetItem'})

iters, runs = 2000, []
for r in range(9):
    reqs = [mk() for _ in range(iters)]
    t0 = time.perf_counter_ns()
    for q in reqs:
        auth.add_auth(q)
    runs.append((time.perf_counter_ns() - t0) / iters)
runs.sort()
print('ns_per_op %.0f' % runs[4])
