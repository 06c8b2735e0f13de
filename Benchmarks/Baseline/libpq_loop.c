/* The floor for scenario 1: the same round trip as the benchmark (SELECT $1::int4,
 * an int8 bound in binary, binary results) in plain C on libpq, 5 timed runs.
 *   gcc -O2 libpq_loop.c -I$(pg_config --includedir) -lpq -o /tmp/libpq_loop
 *   /tmp/libpq_loop "host=127.0.0.1 port=5450 user=postgres sslmode=disable" 20000
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include <arpa/inet.h>
#include <endian.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
  PGconn*c=PQconnectdb(argv[1]); if(PQstatus(c)!=CONNECTION_OK){fprintf(stderr,"%s",PQerrorMessage(c));return 1;}
  int n=atoi(argv[2]);
  for(int r=0;r<5;r++){
  double t0=now();
  for(int i=0;i<n;i++){
    int64_t v=htobe64((int64_t)i); const char*vals[1]={(const char*)&v}; int lens[1]={8}; int fmts[1]={1}; Oid types[1]={20};
    PGresult*res=PQexecParams(c,"SELECT $1::int4",1,types,vals,lens,fmts,1);
    if(PQresultStatus(res)!=PGRES_TUPLES_OK){fprintf(stderr,"%s",PQerrorMessage(c));return 1;}
    int32_t out=(int32_t)ntohl(*(uint32_t*)PQgetvalue(res,0,0)); if(out!=i) return 2;
    PQclear(res);
  }
  double t=now()-t0; printf("%.0f ops/s\n",n/t);
  }
  return 0;}
